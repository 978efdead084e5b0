// Chat template families: detection from Jinja text and rendering.
//
// The formats follow the Hugging Face templates of the reference models of each family
// (Qwen/SmolLM for ChatML, Meta-Llama-3-Instruct, Llama-2-chat, Mistral-7B-Instruct
// v0.2, zephyr-7b-beta / TinyLlama-Chat, Phi-3-mini, gemma-it) as rendered with
// trim_blocks: the exact strings are pinned by tests/chat/chat_template_test.cpp.
#include <algorithm>
#include <array>

#include "edgelm/chat.h"

namespace edgelm {
namespace {

struct FamilyInfo {
  ChatFamily family;
  const char* name;
  const char* default_bos;  // text of the family's BOS token ("" when it has none)
  const char* default_eos;
  bool default_adds_bos;  // whether the family's usual template writes bos_token
  bool roles_restricted;  // only system/user/assistant
  bool alternates;        // optional first system, then user/assistant/user/...
};

constexpr std::array<FamilyInfo, 7> kFamilies = {{
    {ChatFamily::kChatMl, "chatml", "", "<|im_end|>", false, false, false},
    {ChatFamily::kLlama3, "llama3", "<|begin_of_text|>", "<|end_of_text|>", true, false, false},
    {ChatFamily::kLlama2, "llama2", "<s>", "</s>", true, true, true},
    {ChatFamily::kMistral, "mistral", "<s>", "</s>", true, true, true},
    {ChatFamily::kZephyr, "zephyr", "<s>", "</s>", false, true, false},
    {ChatFamily::kPhi3, "phi3", "<s>", "<|endoftext|>", false, true, false},
    {ChatFamily::kGemma, "gemma", "<bos>", "<eos>", true, true, true},
}};

const FamilyInfo& InfoOf(ChatFamily family) {
  for (const FamilyInfo& info : kFamilies) {
    if (info.family == family) return info;
  }
  EDGELM_CHECK_MSG(false, "ChatFamily without an entry in kFamilies");
  return kFamilies[0];
}

// Families whose turns end with the EOS text need one even when the caller says the
// model has none: the format is meaningless without it.
bool EosIsPartOfFormat(ChatFamily family) {
  return family == ChatFamily::kLlama2 || family == ChatFamily::kMistral ||
         family == ChatFamily::kZephyr;
}

// Jinja's |trim and Python's str.strip() without arguments: ASCII whitespace.
std::string Trim(const std::string& s) {
  constexpr const char* kSpace = " \t\n\r\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string::npos) return std::string();
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

bool Contains(std::string_view text, std::string_view marker) {
  return text.find(marker) != std::string_view::npos;
}

// The first ~80 characters of a template, on one line, cut at a UTF-8 boundary.
std::string QuoteStart(std::string_view text) {
  constexpr size_t kMaxBytes = 80;
  size_t n = std::min(text.size(), kMaxBytes);
  // Do not cut a multi-byte character: back up over continuation bytes.
  while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  std::string out = "\"";
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"') {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  out += '"';
  if (n < text.size()) out += "...";
  return out;
}

std::optional<ChatFamily> FamilyFromName(std::string_view name) {
  for (const FamilyInfo& info : kFamilies) {
    if (name == info.name) return info.family;
  }
  return std::nullopt;
}

}  // namespace

const char* ChatFamilyName(ChatFamily family) { return InfoOf(family).name; }

const std::string& ChatTemplateNameList() {
  static const std::string kList = [] {
    std::string list;
    for (const FamilyInfo& info : kFamilies) {
      if (!list.empty()) list += ", ";
      list += info.name;
    }
    return list;
  }();
  return kList;
}

ChatTemplate::ChatTemplate(ChatFamily family, const ChatSpecialTokens& tokens,
                           std::optional<bool> adds_bos)
    : family_(family) {
  const FamilyInfo& info = InfoOf(family);
  adds_bos_ = adds_bos.value_or(info.default_adds_bos);
  bos_text_ = tokens.bos.value_or(info.default_bos);
  eos_text_ = tokens.eos.value_or(info.default_eos);
  if (eos_text_.empty() && EosIsPartOfFormat(family)) eos_text_ = info.default_eos;

  switch (family) {
    case ChatFamily::kChatMl:
      end_of_turn_ = "<|im_end|>";
      assistant_close_ = "<|im_end|>\n";
      stop_strings_ = {"<|im_end|>", "<|im_start|>"};
      break;
    case ChatFamily::kLlama3:
      end_of_turn_ = "<|eot_id|>";
      assistant_close_ = "<|eot_id|>";
      stop_strings_ = {"<|eot_id|>", "<|start_header_id|>"};
      break;
    case ChatFamily::kLlama2:
      end_of_turn_ = eos_text_;
      assistant_close_ = " " + eos_text_;
      stop_strings_ = {eos_text_, "[INST]"};
      break;
    case ChatFamily::kMistral:
      end_of_turn_ = eos_text_;
      assistant_close_ = eos_text_;
      stop_strings_ = {eos_text_, "[INST]"};
      break;
    case ChatFamily::kZephyr:
      end_of_turn_ = eos_text_;
      assistant_close_ = eos_text_ + "\n";
      stop_strings_ = {eos_text_, "<|user|>"};
      break;
    case ChatFamily::kPhi3:
      end_of_turn_ = "<|end|>";
      assistant_close_ = "<|end|>\n";
      stop_strings_ = {"<|end|>", "<|user|>"};
      if (!eos_text_.empty() && eos_text_ != "<|end|>") stop_strings_.push_back(eos_text_);
      break;
    case ChatFamily::kGemma:
      end_of_turn_ = "<end_of_turn>";
      assistant_close_ = "<end_of_turn>\n";
      stop_strings_ = {"<end_of_turn>", "<start_of_turn>"};
      break;
  }
}

Status ChatTemplate::Validate(const std::vector<ChatMessage>& messages) const {
  const FamilyInfo& info = InfoOf(family_);
  size_t turn = 0;  // index among non-system messages, for the alternation check
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& role = messages[i].role;
    const std::string where = "chat message " + std::to_string(i);
    if (role.empty()) {
      return InvalidArgumentError(where +
                                  " has an empty role (expected system, user or assistant)");
    }
    const bool known = role == "system" || role == "user" || role == "assistant";
    if (info.roles_restricted && !known) {
      return InvalidArgumentError(where + " has role '" + role + "', but the " + info.name +
                                  " chat template knows only system, user and assistant");
    }
    if (!info.alternates) continue;
    if (role == "system") {
      if (i != 0) {
        return InvalidArgumentError(where + " is a system message, but the " + info.name +
                                    " chat template accepts a system message only as the first "
                                    "message");
      }
      continue;
    }
    const char* expected = (turn % 2 == 0) ? "user" : "assistant";
    if (role != expected) {
      return InvalidArgumentError(where + " has role '" + role + "' where the " + info.name +
                                  " chat template expects '" + expected +
                                  "' (turns must alternate user/assistant after an optional "
                                  "first system message)");
    }
    ++turn;
  }
  return Status::Ok();
}

Result<std::string> ChatTemplate::Apply(const std::vector<ChatMessage>& messages,
                                        bool add_generation_prompt) const {
  EDGELM_RETURN_IF_ERROR(Validate(messages));
  if (messages.empty() && !add_generation_prompt) return std::string();
  return Render(messages, 0, add_generation_prompt);
}

Result<std::string> ChatTemplate::ApplyDelta(const std::vector<ChatMessage>& prefix,
                                             const std::vector<ChatMessage>& new_messages,
                                             bool add_generation_prompt) const {
  std::vector<ChatMessage> all;
  all.reserve(prefix.size() + new_messages.size());
  all.insert(all.end(), prefix.begin(), prefix.end());
  all.insert(all.end(), new_messages.begin(), new_messages.end());
  EDGELM_RETURN_IF_ERROR(Validate(all));
  // An empty conversation renders as nothing (not even BOS), so the identity
  // Apply(prefix + new) == Apply(prefix) + ApplyDelta(prefix, new) holds for it too.
  if (all.empty() && !add_generation_prompt) return std::string();
  return Render(all, prefix.size(), add_generation_prompt);
}

std::string ChatTemplate::Render(const std::vector<ChatMessage>& messages, size_t first,
                                 bool add_generation_prompt) const {
  const std::string bos = adds_bos_text() ? bos_text_ : std::string();
  std::string out;
  // Every family except Llama 2 writes BOS once, at the very start; Llama 2 writes it
  // at the start of each [INST] turn.
  if (first == 0 && family_ != ChatFamily::kLlama2) out += bos;

  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const bool after_system = i == 1 && messages[0].role == "system";
    switch (family_) {
      case ChatFamily::kChatMl:
        out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
        break;
      case ChatFamily::kLlama3:
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Trim(m.content) +
               "<|eot_id|>";
        break;
      case ChatFamily::kLlama2:
        // Llama-2-chat: the system prompt sits inside the first [INST] block.
        if (m.role == "system") {
          out += bos + "[INST] <<SYS>>\n" + Trim(m.content) + "\n<</SYS>>\n\n";
        } else if (m.role == "user") {
          if (!after_system) out += bos + "[INST] ";
          out += Trim(m.content) + " [/INST]";
        } else {
          out += " " + Trim(m.content) + " " + eos_text_;
        }
        break;
      case ChatFamily::kMistral:
        // Mistral has no system role; its text opens the first [INST] block.
        if (m.role == "system") {
          out += "[INST] " + m.content + "\n\n";
        } else if (m.role == "user") {
          if (!after_system) out += "[INST] ";
          out += m.content + " [/INST]";
        } else {
          out += m.content + eos_text_;
        }
        break;
      case ChatFamily::kZephyr:
        out += "<|" + m.role + "|>\n" + m.content + eos_text_ + "\n";
        break;
      case ChatFamily::kPhi3:
        out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
        break;
      case ChatFamily::kGemma:
        // Gemma has no system role: its text is folded into the first user turn.
        if (m.role == "system") break;
        if (m.role == "user") {
          out += "<start_of_turn>user\n";
          if (after_system) {
            const std::string system = Trim(messages[0].content);
            if (!system.empty()) out += system + "\n\n";
          }
        } else {
          out += "<start_of_turn>model\n";
        }
        out += Trim(m.content) + "<end_of_turn>\n";
        break;
    }
  }

  if (add_generation_prompt) {
    switch (family_) {
      case ChatFamily::kChatMl:
        out += "<|im_start|>assistant\n";
        break;
      case ChatFamily::kLlama3:
        out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
        break;
      // "[/INST]" already opens the assistant's turn.
      case ChatFamily::kLlama2:
        break;
      case ChatFamily::kMistral:
        break;
      case ChatFamily::kZephyr:
        out += "<|assistant|>\n";
        break;
      case ChatFamily::kPhi3:
        out += "<|assistant|>\n";
        break;
      case ChatFamily::kGemma:
        out += "<start_of_turn>model\n";
        break;
    }
  }
  return out;
}

Result<ChatTemplate> ChatTemplateByName(std::string_view name, const ChatSpecialTokens& tokens) {
  const std::optional<ChatFamily> family = FamilyFromName(name);
  if (!family) {
    return InvalidArgumentError("unknown chat template name '" + std::string(name) +
                                "': expected one of " + ChatTemplateNameList());
  }
  return ChatTemplate(*family, tokens);
}

Result<ChatTemplate> DetectChatTemplate(std::string_view text, const ChatSpecialTokens& tokens) {
  const std::string hint = "; pass --chat-template NAME with NAME one of " + ChatTemplateNameList();
  if (Trim(std::string(text)).empty()) {
    return NotFoundError(
        "the model has no chat template (tokenizer.chat_template is absent "
        "or empty)" +
        hint);
  }
  if (const std::optional<ChatFamily> named = FamilyFromName(Trim(std::string(text)))) {
    return ChatTemplate(*named, tokens);
  }

  // Markers, checked in an order where no earlier test can catch a later family's
  // template: ChatML and Llama 3 templates never contain [INST]; Phi-3 and Zephyr both
  // use <|user|>/<|assistant|>, and only Phi-3 ends turns with <|end|>.
  std::optional<ChatFamily> family;
  const char* unsupported = nullptr;  // a known family edgelm does not format
  if (Contains(text, "<|im_start|>")) {
    if (Contains(text, "<|im_sep|>")) {
      unsupported = "Phi-4 (<|im_start|>role<|im_sep|>)";
    } else if (Contains(text, "<end_of_utterance>")) {
      unsupported = "SmolVLM (<end_of_utterance>)";
    } else {
      family = ChatFamily::kChatMl;
    }
  } else if (Contains(text, "<|start_header_id|>") && Contains(text, "<|end_header_id|>")) {
    family = ChatFamily::kLlama3;
  } else if (Contains(text, "[INST]")) {
    if (Contains(text, "[SYSTEM_PROMPT]")) {
      unsupported = "Mistral v7 ([SYSTEM_PROMPT])";
    } else {
      family = Contains(text, "<<SYS>>") ? ChatFamily::kLlama2 : ChatFamily::kMistral;
    }
  } else if (Contains(text, "<|assistant|>") && Contains(text, "<|end|>")) {
    family = ChatFamily::kPhi3;
  } else if (Contains(text, "<|user|>") && !Contains(text, "[gMASK]") &&
             (Contains(text, "eos_token") || Contains(text, "</s>") ||
              Contains(text, "<|endoftext|>"))) {
    family = ChatFamily::kZephyr;
  } else if (Contains(text, "<start_of_turn>")) {
    family = ChatFamily::kGemma;
  }

  if (!family) {
    std::string message = "unrecognised chat template " + QuoteStart(text) + " (" +
                          std::to_string(text.size()) + " bytes of tokenizer.chat_template)";
    if (unsupported)
      message += std::string(": it looks like ") + unsupported + ", which edgelm does not format";
    return UnsupportedError(message + hint);
  }

  ChatSpecialTokens resolved = tokens;
  // StableLM-style Zephyr templates write <|endoftext|> literally instead of eos_token.
  if (*family == ChatFamily::kZephyr && !resolved.eos && !Contains(text, "eos_token") &&
      Contains(text, "<|endoftext|>")) {
    resolved.eos = "<|endoftext|>";
  }
  // A template that references bos_token writes the BOS text itself.
  return ChatTemplate(*family, resolved, Contains(text, "bos_token"));
}

}  // namespace edgelm
