// llama.cpp's token ids for the tokenizer text set: loads each tokenizer-only GGUF with node-llama-cpp
// (llama.cpp's prebuilt library, vocab_only) and tokenizes every text without BOS/EOS, once with
// parse_special off (special-token strings stay text) and once with it on. Run by
// scripts/gen_tokenizer_reference.sh, which writes tests/data/tokenizer_llamacpp.json; see there.
//
//   node tokenizer_reference.mjs OUT.json NAME=FILE.gguf ...
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

// The text set: each entry exercises something a pre-tokenizer or a SentencePiece merge can get wrong.
const TEXTS = [
    "",
    " ", "  ", "   ", "\t", "\n", "\n\n", "\n\n\n", "\t\n", "\r", "\r\n", "\r\n\r\n", "a\r\nb",
    "Hello world", " Hello world", "Hello World", " Hello World", " Hello World!", "Hello, world!",
    " Hello, world!", "Hello", " Hello", "  Hello", "   Hello", "    Hello", "    Hello\n    Hello",
    " (", "\n =", "' era", " discards", "w048 7tuijk dsdfhu",
    // contractions, case
    "I'm sure you're right, he's here, we've won, they'll see, I'd go, don't, won't",
    "I'M SURE YOU'RE RIGHT, WE'VE WON, THEY'LL SEE, She'S, DON'T, i'Ll, a'lL",
    "'s 't 're 've 'm 'll 'd 'x ''", "HeLLo WoRLD ALLCAPS lowercase CamelCaseWord snake_case_word",
    // digits
    "3", "33", "333", "3333", "33333", "333333", "3333333", "33333333", "333333333",
    "1234567890123456789012345", "3.14159 2,718 1e-10 0x1F 1_000_000 -42 +7", "Year 2024: 50% off $19.99!",
    "a1b22c333d4444", "① ½ Ⅻ ² ٣ ४ 〇",
    // code, tabs, newlines, runs of spaces, CRLF
    "def f(x):\n\treturn x * 2\n\nif __name__ == '__main__':\n    print(f(21))\n",
    "int main(void) {\r\n    printf(\"hi\\n\");\r\n\treturn 0;\r\n}\r\n",
    "a    b     c      d       e        f", "x = [1,2,3]  # comment\n\n\n\n    y = {'k': \"v\"}\t\t# tabs\n",
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n", "trailing spaces   ", "   leading spaces",
    "line one\nline two\n\nline four\n", "\t\tindented\n\t\t\tmore\n",
    "<html><body class=\"x\">&amp;</body></html>", "{\"key\": [1, 2, 3], \"n\": null}",
    "$PATH ~/x | grep ^a+b=c<d>e `cmd` @user #tag", "hello_world foo-bar baz/qux a.b,c;d:e!f?g",
    "''''''```````\"\"\"\"......!!!!!!?????? ------======= ***+++", "!!!!!!", "...", "--", "-->", "!=",
    // accents, scripts
    "Café naïve résumé façade Ångström Zürich Ñandú", "e\u0301 a\u0308 combining marks\u0301",
    "Cửa Việt", "Tiếng Việt có dấu", "Straße ǅ ǈ ß ẞ",
    "我想在apple工作1314151天～", "日本語のテキストです。カタカナ、ひらがな。", "中文，标点符号！「引号」",
    "안녕하세요 세계! 한국어 텍스트입니다.", "مرحبا بالعالم! هذا نص عربي.", "नमस्ते दुनिया। यह हिंदी है।",
    "สวัสดีครับ", "កាន់តែពិសេសអាចខលចេញ", "нещо на Български", "Привет, МИР!", "Γειά σου Κόσμε",
    "עברית שלום", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒮𝒸𝓇𝒾𝓅𝓉",
    // emoji: ZWJ sequences, skin tones, flags, variation selectors
    "🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ (only emoji that has its own token)",
    "👨\u200d👩\u200d👧\u200d👦 family", "👍🏽 👋🏿 🧑🏻\u200d💻", "🇺🇸🇯🇵🇩🇪", "🦙🦙 this is 🦙.cpp", "❤️ ☺️ ✌🏼",
    "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～",
    // white space beyond ASCII, controls, odd code points
    "\u00a0nbsp\u3000ideographic\u2009thin\u200bzero-width", "\u000b\u000c form feeds", "\ufeffbom",
    "\u0001\u007f controls", "\u0378 unassigned \ue000 private use", "a\u0085b next line",
    // special-token strings as plain text (parse_special off keeps them text)
    "<|begin_of_text|>Hello<|eot_id|>", "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>",
    "<start_of_turn>user\nhello<end_of_turn>\n<start_of_turn>model\n", "<s>[INST] hi [/INST]</s>",
    "<bos><eos><pad><unk><mask>", "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>{}</tool_call>",
    "<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>", "<unused0> <unused99>", "< s > <|not a token|>",
    // llama.cpp's pre-tokenizer check text
    "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
];

const args = process.argv.slice(2);
if (args.length < 2) {
    console.error("usage: node tokenizer_reference.mjs OUT.json NAME=FILE.gguf ...");
    process.exit(2);
}
const [out, ...vocabs] = args;
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false});
const result = {
    generator: "scripts/gen_tokenizer_reference.sh (node-llama-cpp, llama.cpp vocab_only, add_special off)",
    node_llama_cpp: JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)),
                                                 "node_modules/node-llama-cpp/package.json"))).version,
    llama_cpp: JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)),
                                            "node_modules/node-llama-cpp/llama/llama.cpp.info.json"))),
    texts: TEXTS,
    vocabs: {},
};
for (const spec of vocabs) {
    const [name, file] = spec.split("=");
    const model = await llama.loadModel({modelPath: file, vocabOnly: true});
    const v = {bos: model.tokens.bos, eos: model.tokens.eos, add_bos: model.tokens.shouldPrependBosToken,
               plain: [], special: []};
    for (const t of TEXTS) {
        v.plain.push(Array.from(model.tokenize(t, false)));
        v.special.push(Array.from(model.tokenize(t, true)));
    }
    result.vocabs[name] = v;
    await model.dispose();
    console.error(`${name}: ${TEXTS.length} texts`);
}
// one line per text: reviewable diffs
const lines = JSON.stringify(result, (k, val) => val, 1)
    .replace(/\[\n\s+([-\d,\s]*?)\n\s*\]/g, (m, inner) => "[" + inner.replace(/\s+/g, " ").trim() + "]");
writeFileSync(out, lines + "\n");
