// Small text helpers of the HTML and Markdown report: escaping and number formatting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgelm::report {

// Escapes & < > " ' for text and attribute values alike.
std::string HtmlEscape(std::string_view text);
// Escapes | and newlines for a Markdown table cell, and HTML-significant characters
// (Markdown renderers pass raw HTML through).
std::string MarkdownCell(std::string_view text);
// Three significant digits for small values, no exponent below 1e9: 0.0123, 12.3, 1234.
std::string FormatNumber(double v);
// 1536 -> "1.50 MiB" (binary units, as RSS and file sizes are usually read).
std::string FormatBytes(uint64_t bytes);
// An absent value with its reason, for HTML.
std::string AbsentHtml(std::string_view reason);

}  // namespace edgelm::report
