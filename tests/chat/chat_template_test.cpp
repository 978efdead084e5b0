#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "edgelm/chat.h"

namespace edgelm {
namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "You are helpful."},
    {"user", "Hi"},
    {"assistant", "Hello!"},
    {"user", "How are you?"},
};

struct Expected {
  const char* name;
  ChatFamily family;
  const char* with_prompt;     // Apply(kConversation, true)
  const char* without_prompt;  // Apply(kConversation, false)
};

// The strings the reference Hugging Face templates render for kConversation.
const Expected kExpected[] = {
    {"chatml", ChatFamily::kChatMl,
     "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
     "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n"
     "<|im_start|>assistant\n",
     "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
     "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n"},
    {"llama3", ChatFamily::kLlama3,
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\n",
     "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
     "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
     "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"},
    {"llama2", ChatFamily::kLlama2,
     "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
     "<s>[INST] How are you? [/INST]",
     "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
     "<s>[INST] How are you? [/INST]"},
    {"mistral", ChatFamily::kMistral,
     "<s>[INST] You are helpful.\n\nHi [/INST]Hello!</s>[INST] How are you? [/INST]",
     "<s>[INST] You are helpful.\n\nHi [/INST]Hello!</s>[INST] How are you? [/INST]"},
    {"zephyr", ChatFamily::kZephyr,
     "<|system|>\nYou are helpful.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
     "<|user|>\nHow are you?</s>\n<|assistant|>\n",
     "<|system|>\nYou are helpful.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n"
     "<|user|>\nHow are you?</s>\n"},
    {"phi3", ChatFamily::kPhi3,
     "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
     "<|user|>\nHow are you?<|end|>\n<|assistant|>\n",
     "<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n"
     "<|user|>\nHow are you?<|end|>\n"},
    {"gemma", ChatFamily::kGemma,
     "<bos><start_of_turn>user\nYou are helpful.\n\nHi<end_of_turn>\n"
     "<start_of_turn>model\nHello!<end_of_turn>\n"
     "<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n",
     "<bos><start_of_turn>user\nYou are helpful.\n\nHi<end_of_turn>\n"
     "<start_of_turn>model\nHello!<end_of_turn>\n"
     "<start_of_turn>user\nHow are you?<end_of_turn>\n"},
};

ChatTemplate ByName(const std::string& name) {
  Result<ChatTemplate> t = ChatTemplateByName(name);
  EDGELM_CHECK_MSG(t.ok(), t.status().ToString());
  return *t;
}

class ChatFamilyTest : public ::testing::TestWithParam<Expected> {};

TEST_P(ChatFamilyTest, RendersTheReferenceStrings) {
  const Expected& e = GetParam();
  const ChatTemplate t = ByName(e.name);
  EXPECT_EQ(t.family(), e.family);
  EXPECT_STREQ(t.name(), e.name);
  Result<std::string> with_prompt = t.Apply(kConversation, true);
  ASSERT_TRUE(with_prompt.ok()) << with_prompt.status().ToString();
  EXPECT_EQ(*with_prompt, e.with_prompt);
  Result<std::string> without_prompt = t.Apply(kConversation, false);
  ASSERT_TRUE(without_prompt.ok()) << without_prompt.status().ToString();
  EXPECT_EQ(*without_prompt, e.without_prompt);
}

// Apply(prefix + new, g) == Apply(prefix, false) + ApplyDelta(prefix, new, g) for every
// split of a five-message conversation, with and without the generation prompt.
TEST_P(ChatFamilyTest, DeltaContinuesThePrefix) {
  const ChatTemplate t = ByName(GetParam().name);
  std::vector<ChatMessage> all = kConversation;
  all.push_back({"assistant", "Fine, thanks."});
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    const std::vector<ChatMessage> prefix(all.begin(), all.begin() + cut);
    const std::vector<ChatMessage> rest(all.begin() + cut, all.end());
    for (bool prompt : {false, true}) {
      Result<std::string> whole = t.Apply(all, prompt);
      Result<std::string> head = t.Apply(prefix, false);
      Result<std::string> delta = t.ApplyDelta(prefix, rest, prompt);
      ASSERT_TRUE(whole.ok() && head.ok() && delta.ok());
      EXPECT_EQ(*whole, *head + *delta)
          << GetParam().name << " cut " << cut << " prompt " << prompt;
    }
  }
  Result<std::string> from_empty = t.ApplyDelta({}, kConversation, true);
  ASSERT_TRUE(from_empty.ok());
  EXPECT_EQ(*from_empty, *t.Apply(kConversation, true));
}

// An interactive chat feeds Apply(history, true), lets the model write its reply, then
// closes the turn with assistant_close(): the result must be what Apply() renders for
// the conversation that includes the reply.
TEST_P(ChatFamilyTest, AssistantCloseEndsTheReplyTurn) {
  const ChatTemplate t = ByName(GetParam().name);
  const std::vector<ChatMessage> before(kConversation.begin(), kConversation.begin() + 2);
  std::vector<ChatMessage> after = before;
  after.push_back({"assistant", "Hello!"});
  const std::string prompt = *t.Apply(before, true);
  const std::string closed = *t.Apply(after, false);
  ASSERT_GE(closed.size(), prompt.size());
  EXPECT_EQ(closed.substr(0, prompt.size()), prompt);
  const std::string tail = std::string("Hello!") + t.assistant_close();
  ASSERT_GE(closed.size(), tail.size());
  EXPECT_EQ(closed.substr(closed.size() - tail.size()), tail);
  // The end-of-turn marker is what the model emits to stop, and a stop string.
  EXPECT_NE(t.assistant_close().find(t.end_of_turn()), std::string::npos);
  EXPECT_NE(std::find(t.stop_strings().begin(), t.stop_strings().end(), t.end_of_turn()),
            t.stop_strings().end());
}

INSTANTIATE_TEST_SUITE_P(AllFamilies, ChatFamilyTest, ::testing::ValuesIn(kExpected),
                         [](const ::testing::TestParamInfo<Expected>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(ChatTemplateTest, WithoutSystemMessage) {
  const std::vector<ChatMessage> chat = {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Bye"}};
  EXPECT_EQ(*ByName("llama2").Apply(chat, true),
            "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST]");
  EXPECT_EQ(*ByName("mistral").Apply(chat, true),
            "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]");
  EXPECT_EQ(*ByName("gemma").Apply(chat, true),
            "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
            "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n");
}

TEST(ChatTemplateTest, TrimsContentWhereTheFamilyTemplateTrims) {
  const std::vector<ChatMessage> chat = {{"user", "  Hi \n"}};
  EXPECT_EQ(*ByName("chatml").Apply(chat, false), "<|im_start|>user\n  Hi \n<|im_end|>\n");
  EXPECT_EQ(*ByName("llama3").Apply(chat, false),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
  EXPECT_EQ(*ByName("llama2").Apply(chat, false), "<s>[INST] Hi [/INST]");
  EXPECT_EQ(*ByName("gemma").Apply(chat, false), "<bos><start_of_turn>user\nHi<end_of_turn>\n");
  EXPECT_EQ(*ByName("phi3").Apply(chat, false), "<|user|>\n  Hi \n<|end|>\n");
}

TEST(ChatTemplateTest, EmptyConversation) {
  EXPECT_EQ(*ByName("llama3").Apply({}, false), "");
  EXPECT_EQ(*ByName("llama3").Apply({}, true),
            "<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(*ByName("chatml").Apply({}, true), "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, BosPolicy) {
  const ChatTemplate llama3 = ByName("llama3");
  EXPECT_TRUE(llama3.adds_bos_text());
  EXPECT_FALSE(llama3.AddBosToken(true));  // the text already holds <|begin_of_text|>
  const ChatTemplate chatml = ByName("chatml");
  EXPECT_FALSE(chatml.adds_bos_text());
  EXPECT_TRUE(chatml.AddBosToken(true));
  EXPECT_FALSE(chatml.AddBosToken(false));
  EXPECT_FALSE(ByName("zephyr").adds_bos_text());
  EXPECT_FALSE(ByName("phi3").adds_bos_text());
  EXPECT_TRUE(ByName("gemma").adds_bos_text());
  EXPECT_TRUE(ByName("mistral").adds_bos_text());

  // A model without a BOS token: no BOS text anywhere, also not between Llama 2 turns.
  Result<ChatTemplate> no_bos = ChatTemplateByName("llama2", {.bos = "", .eos = std::nullopt});
  ASSERT_TRUE(no_bos.ok());
  EXPECT_FALSE(no_bos->adds_bos_text());
  EXPECT_EQ(*no_bos->Apply({{"user", "a"}, {"assistant", "b"}, {"user", "c"}}, true),
            "[INST] a [/INST] b </s>[INST] c [/INST]");

  // The model's own token texts replace the family defaults.
  Result<ChatTemplate> custom =
      ChatTemplateByName("zephyr", {.bos = "<s>", .eos = "<|endoftext|>"});
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(*custom->Apply({{"user", "a"}}, true), "<|user|>\na<|endoftext|>\n<|assistant|>\n");
  EXPECT_EQ(custom->end_of_turn(), "<|endoftext|>");
  // An empty EOS cannot remove the EOS text from a format built on it.
  Result<ChatTemplate> no_eos = ChatTemplateByName("mistral", {.bos = std::nullopt, .eos = ""});
  ASSERT_TRUE(no_eos.ok());
  EXPECT_EQ(no_eos->eos_text(), "</s>");
}

TEST(ChatTemplateTest, EndOfTurnAndStopStrings) {
  EXPECT_EQ(ByName("chatml").end_of_turn(), "<|im_end|>");
  EXPECT_EQ(ByName("llama3").end_of_turn(), "<|eot_id|>");
  EXPECT_EQ(ByName("llama2").end_of_turn(), "</s>");
  EXPECT_EQ(ByName("mistral").end_of_turn(), "</s>");
  EXPECT_EQ(ByName("zephyr").end_of_turn(), "</s>");
  EXPECT_EQ(ByName("phi3").end_of_turn(), "<|end|>");
  EXPECT_EQ(ByName("gemma").end_of_turn(), "<end_of_turn>");
  const std::vector<std::string> chatml_stops = {"<|im_end|>", "<|im_start|>"};
  EXPECT_EQ(ByName("chatml").stop_strings(), chatml_stops);
  const std::vector<std::string> phi3_stops = {"<|end|>", "<|user|>", "<|endoftext|>"};
  EXPECT_EQ(ByName("phi3").stop_strings(), phi3_stops);
}

TEST(ChatTemplateTest, RejectsMessagesTheTemplateCannotExpress) {
  Result<std::string> empty_role = ByName("chatml").Apply({{"", "x"}}, true);
  ASSERT_FALSE(empty_role.ok());
  EXPECT_EQ(empty_role.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty_role.status().message().find("chat message 0"), std::string::npos);

  // ChatML and Llama 3 write any role; the others know three.
  EXPECT_TRUE(ByName("chatml").Apply({{"tool", "42"}}, true).ok());
  EXPECT_TRUE(ByName("llama3").Apply({{"ipython", "42"}}, true).ok());
  Result<std::string> tool = ByName("zephyr").Apply({{"user", "q"}, {"tool", "42"}}, true);
  ASSERT_FALSE(tool.ok());
  EXPECT_NE(tool.status().message().find("'tool'"), std::string::npos);
  EXPECT_NE(tool.status().message().find("chat message 1"), std::string::npos);

  Result<std::string> two_users = ByName("llama2").Apply({{"user", "a"}, {"user", "b"}}, true);
  ASSERT_FALSE(two_users.ok());
  EXPECT_NE(two_users.status().message().find("expects 'assistant'"), std::string::npos);
  Result<std::string> late_system =
      ByName("gemma").Apply({{"user", "a"}, {"assistant", "b"}, {"system", "c"}}, true);
  ASSERT_FALSE(late_system.ok());
  EXPECT_NE(late_system.status().message().find("chat message 2"), std::string::npos);
  EXPECT_FALSE(ByName("mistral").Apply({{"assistant", "a"}}, true).ok());
  // The same checks apply to the whole conversation when formatting a delta.
  EXPECT_FALSE(ByName("mistral").ApplyDelta({{"user", "a"}}, {{"user", "b"}}, true).ok());
  EXPECT_TRUE(ByName("chatml").ApplyDelta({{"user", "a"}}, {{"user", "b"}}, true).ok());
}

TEST(ChatTemplateTest, NamesAndUnknownName) {
  EXPECT_EQ(ChatTemplateNameList(), "chatml, llama3, llama2, mistral, zephyr, phi3, gemma");
  for (const Expected& e : kExpected) EXPECT_EQ(ByName(e.name).family(), e.family);
  Result<ChatTemplate> bad = ChatTemplateByName("vicuna");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'vicuna'"), std::string::npos);
  EXPECT_NE(bad.status().message().find(ChatTemplateNameList()), std::string::npos);
}

// --- Detection -------------------------------------------------------------------

std::string ReadChatTemplate(const std::string& model) {
  const std::filesystem::path path = std::filesystem::path(EDGELM_SHARED_DIR) /
                                     "models/hf-tokenizers" / model / "tokenizer_config.json";
  std::ifstream in(path);
  if (!in) return std::string();
  const nlohmann::json config = nlohmann::json::parse(in);
  return config.value("chat_template", std::string());
}

TEST(DetectChatTemplateTest, RealLlama3Template) {
  const std::string text = ReadChatTemplate("llama3");
  if (text.empty()) GTEST_SKIP() << "../shared/models/hf-tokenizers/llama3 is absent";
  Result<ChatTemplate> t = DetectChatTemplate(text);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->family(), ChatFamily::kLlama3);
  EXPECT_TRUE(t->adds_bos_text());  // the template starts with bos_token
  EXPECT_EQ(*t->Apply({{"user", "Hi"}}, true),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(DetectChatTemplateTest, RealQwen3Template) {
  const std::string text = ReadChatTemplate("qwen3");
  if (text.empty()) GTEST_SKIP() << "../shared/models/hf-tokenizers/qwen3 is absent";
  Result<ChatTemplate> t = DetectChatTemplate(text, {.bos = "", .eos = "<|im_end|>"});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->family(), ChatFamily::kChatMl);
  EXPECT_FALSE(t->adds_bos_text());
  EXPECT_FALSE(t->AddBosToken(false));
}

TEST(DetectChatTemplateTest, TemplateSnippetsOfEachFamily) {
  struct Case {
    ChatFamily family;
    bool adds_bos;
    const char* text;
  };
  const Case cases[] = {
      {ChatFamily::kChatMl, false,
       "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
       "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
       "{{ '<|im_start|>assistant\\n' }}{% endif %}"},
      {ChatFamily::kLlama3, true,
       "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
       "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"},
      {ChatFamily::kLlama2, true,
       "{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}"
       "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] "
       "%}"
       "{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + "
       "' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + "
       "eos_token }}{% endif %}{% endfor %}"},
      {ChatFamily::kMistral, true,
       "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
       "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
       "{{ message['content'] + eos_token}}{% endif %}{% endfor %}"},
      {ChatFamily::kZephyr, false,
       "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\\n' + "
       "message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
       "{{ '<|assistant|>\\n' + message['content'] + eos_token }}\n{% endif %}\n"
       "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% "
       "endfor %}"},
      {ChatFamily::kPhi3, false,
       "{% for message in messages %}{% if message['role'] == 'user' %}{{'<|user|>\\n' + "
       "message['content'] + '<|end|>\\n'}}{% elif message['role'] == 'assistant' %}"
       "{{'<|assistant|>\\n' + message['content'] + '<|end|>\\n'}}{% endif %}{% endfor %}"
       "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif "
       "%}"},
      {ChatFamily::kGemma, true,
       "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'assistant') %}"
       "{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
       "{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}"
       "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}"},
  };
  for (const Case& c : cases) {
    Result<ChatTemplate> t = DetectChatTemplate(c.text);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->family(), c.family) << c.text;
    EXPECT_EQ(t->adds_bos_text(), c.adds_bos) << c.text;
  }
}

TEST(DetectChatTemplateTest, StableLmZephyrUsesItsLiteralEndOfText) {
  Result<ChatTemplate> t = DetectChatTemplate(
      "{% for message in messages %}{{'<|' + message['role'] + '|>\\n' + message['content'] + "
      "'<|endoftext|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}"
      "{% endif %}{# <|user|> #}");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->family(), ChatFamily::kZephyr);
  EXPECT_EQ(t->end_of_turn(), "<|endoftext|>");
}

TEST(DetectChatTemplateTest, NameAsTemplateText) {
  Result<ChatTemplate> t = DetectChatTemplate("gemma");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->family(), ChatFamily::kGemma);
}

TEST(DetectChatTemplateTest, GarbageIsAnErrorThatQuotesAndSuggests) {
  const std::string garbage =
      "{% for m in messages %}{{ '### ' + m['role'] + ':\\n' + m['content'] }}\n{% endfor %}"
      "and a long tail that must not appear in the message at all";
  Result<ChatTemplate> t = DetectChatTemplate(garbage);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  const std::string& message = t.status().message();
  EXPECT_NE(message.find("\"{% for m in messages %}{{ '### '"), std::string::npos) << message;
  EXPECT_EQ(message.find("must not appear"), std::string::npos) << message;
  EXPECT_NE(message.find("\"..."), std::string::npos) << message;
  EXPECT_NE(message.find("--chat-template NAME"), std::string::npos) << message;
  EXPECT_NE(message.find(ChatTemplateNameList()), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "the quote must stay on one line";
}

TEST(DetectChatTemplateTest, EmptyAndUnsupportedTemplates) {
  Result<ChatTemplate> empty = DetectChatTemplate("  \n");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_NE(empty.status().message().find("--chat-template"), std::string::npos);

  Result<ChatTemplate> phi4 = DetectChatTemplate(
      "{% for m in messages %}{{'<|im_start|>' + m['role'] + '<|im_sep|>' + m['content'] + "
      "'<|im_end|>'}}{% endfor %}");
  ASSERT_FALSE(phi4.ok());
  EXPECT_NE(phi4.status().message().find("Phi-4"), std::string::npos);

  // Cutting the quote must not split a multi-byte UTF-8 character.
  std::string wide(79, 'x');
  wide += "\xE2\x82\xAC tail";  // euro sign straddles byte 80
  Result<ChatTemplate> cut = DetectChatTemplate(wide);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find(std::string(79, 'x') + "\"..."), std::string::npos)
      << cut.status().message();
}

}  // namespace
}  // namespace edgelm
