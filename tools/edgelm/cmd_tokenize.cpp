// `edgelm tokenize`: shows how a model's tokenizer splits a text (ids, optionally the
// piece each id stands for), to check prompts and compare with other engines.
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "command_registry.h"
#include "edgelm/tokenizer.h"
#include "gguf/gguf_reader.h"

namespace edgelm::cli {
namespace {

struct TokenizeOptions {
  std::string model_path;
  std::string prompt;
  bool pieces = false;
  bool no_bos = false;
  bool special = false;
  bool json = false;
};

// A piece as a readable single-line literal: quotes, escapes for control characters and
// for bytes that are not valid UTF-8 on their own (halves of a split character).
std::string QuotePiece(const std::string& piece) {
  std::string out = "'";
  size_t i = 0;
  while (i < piece.size()) {
    const unsigned char c = static_cast<unsigned char>(piece[i]);
    size_t len = 1;
    if (c >= 0xC2 && c <= 0xF4) len = c >= 0xF0 ? 4 : (c >= 0xE0 ? 3 : 2);
    bool valid = c >= 0x20 && c < 0x7F;
    if (c >= 0x80) {
      valid = len > 1 && i + len <= piece.size();
      for (size_t k = 1; valid && k < len; ++k) {
        valid = (static_cast<unsigned char>(piece[i + k]) & 0xC0) == 0x80;
      }
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (valid) {
      out.append(piece, i, c >= 0x80 ? len : 1);
      i += c >= 0x80 ? len : 1;
      continue;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02X", c);
      out += hex;
    }
    ++i;
  }
  return out + "'";
}

int RunTokenize(const TokenizeOptions& o) {
  auto file = GgufFile::Open(o.model_path);
  if (!file.ok()) return ReportError(file.status());
  auto tokenizer = Tokenizer::FromGguf(**file);
  if (!tokenizer.ok()) return ReportError(tokenizer.status());
  const Tokenizer& t = **tokenizer;
  const bool add_bos = !o.no_bos && t.add_bos_default();
  auto ids = t.Encode(o.prompt, add_bos, o.special);
  if (!ids.ok()) return ReportError(ids.status());

  if (o.json) {
    nlohmann::json out;
    out["model"] = o.model_path;
    out["tokenizer"] = t.model_name();
    out["pre"] = t.pre_name();
    out["add_bos"] = add_bos;
    out["parse_special"] = o.special;
    out["n_tokens"] = ids->size();
    out["ids"] = *ids;
    if (o.pieces) {
      nlohmann::json pieces = nlohmann::json::array();
      for (int32_t id : *ids) pieces.push_back(t.TokenToPiece(id, /*render_special=*/true));
      out["pieces"] = std::move(pieces);
    }
    // Pieces can be halves of a UTF-8 character: those bytes become U+FFFD in JSON.
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (o.pieces) {
    for (int32_t id : *ids) {
      std::printf("%7d %s\n", id, QuotePiece(t.TokenToPiece(id, /*render_special=*/true)).c_str());
    }
    return kExitOk;
  }
  std::string line;
  for (size_t i = 0; i < ids->size(); ++i) {
    if (i > 0) line += ' ';
    line += std::to_string((*ids)[i]);
  }
  std::printf("%s\n", line.c_str());
  return kExitOk;
}

CommandRunner AddTokenize(CLI::App& root) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = root.add_subcommand(
      "tokenize", "Print the token ids (and pieces) a model's tokenizer gives a text");
  cmd->add_option("-m,--model", o->model_path, "GGUF model (or vocab-only GGUF) file")
      ->required();
  cmd->add_option("-p,--prompt", o->prompt, "text to tokenize")->required();
  cmd->add_flag("--pieces", o->pieces, "also print the text each token stands for");
  cmd->add_flag("--no-bos", o->no_bos, "do not prepend BOS even if the model asks for it");
  cmd->add_flag("--special", o->special,
                "recognise special-token texts such as <|im_start|> in the prompt");
  cmd->add_flag("--json", o->json, "print a JSON object instead of plain text");
  return [o]() { return RunTokenize(*o); };
}

EDGELM_REGISTER_COMMAND(40, AddTokenize);

}  // namespace
}  // namespace edgelm::cli
