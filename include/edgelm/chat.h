// Chat templates: turn a conversation into the prompt text a chat model was trained on.
//
// Goals: the seven template families that small edge models use (ChatML, Llama 3,
// Llama 2, Mistral [INST], Zephyr, Phi-3, Gemma), detected from the Jinja text in
// tokenizer.chat_template by characteristic markers (the approach of llama.cpp's
// llm_chat_detect_template), or chosen by name (--chat-template NAME); incremental
// formatting so that an interactive chat keeps its KV cache between turns.
// Non-goals: a Jinja interpreter (templates are recognised, not executed), tool calls,
// reasoning ("thinking") switches, default system prompts that some templates insert
// when none is given (Llama 3.1+'s dated header, SmolLM2's "You are a helpful AI
// assistant named SmolLM...").
//
// BOS policy. Apply() writes the BOS text (e.g. "<|begin_of_text|>") itself exactly when
// adds_bos_text() is true: the template of the family references bos_token and a BOS
// text is known. Then tokenize the prompt with add_bos = false and parse_special = true;
// otherwise tokenize with add_bos = the tokenizer's default. AddBosToken() says which, so
// a BOS token is never added twice.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgelm {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant" (ChatML and Llama 3 accept any)
  std::string content;
};

enum class ChatFamily { kChatMl, kLlama3, kLlama2, kMistral, kZephyr, kPhi3, kGemma };

// The --chat-template name of a family: "chatml", "llama3", "llama2", "mistral",
// "zephyr", "phi3", "gemma".
const char* ChatFamilyName(ChatFamily family);
// Every accepted name, comma separated, for usage and error messages.
const std::string& ChatTemplateNameList();

// Texts of the model's special tokens (as stored in its vocabulary, e.g.
// tokenizer.token_text(tokenizer.bos_id())). nullopt: the family's usual text ("<s>",
// "<|begin_of_text|>", "<bos>"...); empty string: the model has no such token (an empty
// EOS is replaced by "</s>" for llama2, mistral and zephyr, whose turns end with it).
struct ChatSpecialTokens {
  std::optional<std::string> bos;
  std::optional<std::string> eos;
};

class ChatTemplate {
 public:
  // adds_bos: whether the family's template writes bos_token itself; nullopt: the
  // family's usual answer (llama3, llama2, mistral, gemma: yes; others: no).
  explicit ChatTemplate(ChatFamily family, const ChatSpecialTokens& tokens = {},
                        std::optional<bool> adds_bos = std::nullopt);

  ChatFamily family() const { return family_; }
  const char* name() const { return ChatFamilyName(family_); }

  // True when Apply() starts its output with bos_text() (see the BOS policy above).
  bool adds_bos_text() const { return adds_bos_ && !bos_text_.empty(); }
  // Whether the caller should prepend a BOS token when tokenizing Apply()'s text.
  bool AddBosToken(bool tokenizer_add_bos_default) const {
    return !adds_bos_text() && tokenizer_add_bos_default;
  }
  const std::string& bos_text() const { return bos_text_; }
  const std::string& eos_text() const { return eos_text_; }

  // The marker a model emits to end its turn: "<|im_end|>", "<|eot_id|>", "</s>",
  // "<|end|>", "<end_of_turn>". Usually one special token.
  const std::string& end_of_turn() const { return end_of_turn_; }
  // Strings that end generation when they appear in the output text: the end-of-turn
  // marker and the start of a new turn (a model that runs on into the next turn).
  const std::vector<std::string>& stop_strings() const { return stop_strings_; }
  // What Apply() writes after an assistant message's content: "<|im_end|>\n" for
  // ChatML. An interactive chat feeds it after the model's reply (minus whatever of it,
  // such as the end-of-turn token, is already in the cache), so that the cache holds
  // Apply(history + {reply}, false) and the next ApplyDelta() continues from there.
  const std::string& assistant_close() const { return assistant_close_; }

  // Formats the conversation. add_generation_prompt appends the opening of an assistant
  // turn (e.g. "<|im_start|>assistant\n"; nothing for llama2 and mistral, whose user turn
  // ends with "[/INST]", which opens the assistant's turn).
  // Errors: an empty role; for llama2, mistral, zephyr, phi3 and gemma a role other than
  // system/user/assistant; for llama2, mistral and gemma a system message that is not the
  // first, or turns that do not alternate user/assistant starting with user (those
  // models' templates reject the same).
  Result<std::string> Apply(const std::vector<ChatMessage>& messages,
                            bool add_generation_prompt) const;
  // Formats only new_messages, given that the model has already seen
  // Apply(prefix, false):  Apply(prefix + new, g) == Apply(prefix, false) +
  // ApplyDelta(prefix, new, g). With an empty prefix it equals Apply(new, g).
  Result<std::string> ApplyDelta(const std::vector<ChatMessage>& prefix,
                                 const std::vector<ChatMessage>& new_messages,
                                 bool add_generation_prompt) const;
  // The checks Apply() makes, without formatting.
  Status Validate(const std::vector<ChatMessage>& messages) const;

 private:
  // Renders messages[first..] knowing messages[0..first) were rendered before.
  std::string Render(const std::vector<ChatMessage>& messages, size_t first,
                     bool add_generation_prompt) const;

  ChatFamily family_;
  bool adds_bos_;
  std::string bos_text_;
  std::string eos_text_;
  std::string end_of_turn_;
  std::string assistant_close_;
  std::vector<std::string> stop_strings_;
};

// Recognises the family of a Jinja chat template (tokenizer.chat_template) by its
// markers; a template text that is exactly a family name is accepted too. Whether the
// template writes bos_token itself is read from the text. Errors: empty text (the model
// has no template) and an unrecognised one (quotes its first ~80 characters and
// suggests --chat-template NAME with the list of names).
Result<ChatTemplate> DetectChatTemplate(std::string_view template_text,
                                        const ChatSpecialTokens& tokens = {});

// The family for --chat-template NAME (see ChatTemplateNameList()). Error: unknown name.
Result<ChatTemplate> ChatTemplateByName(std::string_view name,
                                        const ChatSpecialTokens& tokens = {});

}  // namespace edgelm
