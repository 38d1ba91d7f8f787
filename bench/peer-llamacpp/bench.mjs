// llama.cpp (through node-llama-cpp's prebuilt binaries) on one GGUF: pp512 and tg128 tok/s as
// llama-bench measures them. pp: a fresh context evaluates PP prompt tokens in one batch
// (batch = ubatch = PP); tg: a fresh context generates TG tokens one at a time (greedy) after one
// start token. Untimed warm-ups first. Prints one JSON object on stdout.
//
//   node bench.mjs MODEL.gguf --gpu vulkan|cpu [--pp 512] [--tg 128] [--reps 1] [--threads 2] [--vocab 32000]
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";

const args = process.argv.slice(2);
const opt = (name, def) => {
    const i = args.indexOf("--" + name);
    return i >= 0 ? args[i + 1] : def;
};
const modelPath = args[0];
const gpu = opt("gpu", "vulkan");
const pp = Number(opt("pp", 512)), tg = Number(opt("tg", 128)), reps = Number(opt("reps", 1));
const threads = Number(opt("threads", 2));

const llama = await getLlama({
    gpu: gpu === "cpu" ? false : gpu, build: "never", logLevel: LlamaLogLevel.warn, progressLogs: false,
    maxThreads: threads,
});
const gpuName = gpu === "cpu" ? null : (await llama.getGpuDeviceNames()).join(", ");
const model = await llama.loadModel({modelPath, gpuLayers: gpu === "cpu" ? 0 : "max"});
// token ids spread over the vocabulary, away from the special ones (the content does not matter)
const nVocab = Number(opt("vocab", 32000));
const prompt = Array.from({length: pp}, (_, i) => (i * 7919 + 13) % (nVocab - 1));

async function freshSequence(size) {
    const context = await model.createContext({contextSize: size, batchSize: Math.max(pp, 1), threads,
                                               flashAttention: false});
    return {context, seq: context.getSequence()};
}

async function runPP(n) {
    const {context, seq} = await freshSequence(Math.max(pp, 512));
    const t0 = process.hrtime.bigint();
    await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, n));
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    await context.dispose();
    return n / s;
}

async function runTG(n) {
    const {context, seq} = await freshSequence(Math.max(tg + 16, 256));
    let count = 0;
    const t0 = process.hrtime.bigint();
    // the first yield follows the start token's evaluation; each later one is one single-token decode
    for await (const _ of seq.evaluate([prompt[0]], {temperature: 0})) { // eslint-disable-line no-unused-vars
        if (++count >= n) break;
    }
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    await context.dispose();
    return n / s;
}

// warm-up as llama-bench does (a full-size prompt, one generated token): ggml-vulkan creates its
// pipelines on first use, per matrix-size variant, which on lavapipe takes minutes
await runPP(pp);
await runTG(1);
const ppRuns = [], tgRuns = [];
for (let r = 0; r < reps; r++) ppRuns.push(await runPP(pp));
for (let r = 0; r < reps; r++) tgRuns.push(await runTG(tg));
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
// the package does not export its package.json: read it next to its entry point (dist/index.js)
const pkgDir = dirname(dirname(fileURLToPath(import.meta.resolve("node-llama-cpp"))));
const version = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
console.log(JSON.stringify({
    backend: gpu === "cpu" ? "cpu" : gpu, device: gpuName, model: modelPath,
    node_llama_cpp: version, llama_cpp_release: llama.llamaCppRelease,
    threads, pp, tg, reps, pp_tok_s: mean(ppRuns), tg_tok_s: mean(tgRuns), pp_runs: ppRuns, tg_runs: tgRuns,
}));
await model.dispose();
await llama.dispose();
