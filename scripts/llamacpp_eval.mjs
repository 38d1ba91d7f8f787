// llama.cpp's answers on GGUF files, for tests/py_llamacpp.py: the greedy continuation of a prompt of
// token ids (argmax of llama.cpp's own logits at every step, each step's logits kept), the tokens of a
// text, and the perplexity of that text as llama-perplexity computes it. llama.cpp's CPU backend through
// node-llama-cpp's prebuilt binaries (scripts/npm-deps.sh llamacpp); run from the directory whose
// node_modules holds node-llama-cpp (the test copies it there).
//
//   node llamacpp_eval.mjs JOB.json OUT.json
//   JOB: {"threads": 2, "models": [{"name", "path", "n_vocab", "prompt": [ids], "n_gen", "text", "ctx", "chunks"}]}
//   OUT: {"llama_cpp_release", "models": {name: {"prompt", "greedy": [ids], "logits": [[V floats] per row],
//         "tokens": [ids of text with BOS], "ppl", "nll": [per-window mean NLL], "count"}}}
// logits rows: every prompt position, then the decode steps that fed greedy tokens 0 .. n_gen - 2 (the
// rows `vkattn run --dump-logits` writes).
//
// Perplexity (llama.cpp tools/perplexity/perplexity.cpp, perplexity()): the text is tokenized with BOS
// when the vocabulary adds one; cut into floor(n / ctx) windows (at most `chunks`), each evaluated from an
// empty cache with its first token replaced by BOS; the logits at window positions [ctx/2, ctx - 1)
// predict the token after each; PPL = exp(mean of those negative log-likelihoods).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";
import {readFileSync, writeFileSync} from "node:fs";

const [jobPath, outPath] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPath, "utf8"));
const threads = job.threads ?? 2;
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, progressLogs: false,
                              maxThreads: threads});

// The raw logits a controlledEvaluate output row carries (a Map sorted by value) as an array by token id.
function logitsArray(out, nVocab) {
    if (!out || !out.next.logits || out.next.logits.size !== nVocab)
        throw new Error(`llamacpp_eval: expected ${nVocab} logits, got ${out?.next?.logits?.size}`);
    const a = new Array(nVocab).fill(0);
    for (const [tok, v] of out.next.logits) a[tok] = v;
    return a;
}

function argmax(a) {
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
}

// -log softmax(logits)[target] in double, as llama-perplexity's log_softmax
function nll(logits, target) {
    let mx = -Infinity;
    for (const v of logits) mx = Math.max(mx, v);
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - mx);
    return Math.log(sum) - (logits[target] - mx);
}

const want = {generateNext: {logits: true}};
const results = {};
for (const m of job.models) {
    const model = await llama.loadModel({modelPath: m.path, gpuLayers: 0});
    const nVocab = m.n_vocab;
    const size = Math.max(m.ctx, m.prompt.length + m.n_gen);
    const context = await model.createContext({contextSize: size, batchSize: size, threads, flashAttention: false});
    const seq = context.getSequence();
    const r = {prompt: m.prompt, greedy: [], logits: []};

    // greedy: logits of every prompt row, then one token at a time
    let out = await seq.controlledEvaluate(m.prompt.map((t) => [t, want]));
    for (const o of out) r.logits.push(logitsArray(o, nVocab));
    let last = r.logits[r.logits.length - 1];
    for (let i = 0; i < m.n_gen; i++) {
        const tok = argmax(last);
        r.greedy.push(tok);
        if (i + 1 === m.n_gen) break;
        out = await seq.controlledEvaluate([[tok, want]]);
        last = logitsArray(out[0], nVocab);
        r.logits.push(last);
    }

    // perplexity
    const text = readFileSync(m.text, "utf8");
    const bos = model.tokens.bos;
    const addBos = bos !== null && model.tokens.shouldPrependBosToken;
    const ids = (addBos ? [bos] : []).concat(Array.from(model.tokenize(text, false)));
    r.tokens = ids;
    const first = Math.floor(m.ctx / 2);
    const nWin = Math.min(Math.floor(ids.length / m.ctx), m.chunks || Infinity);
    let sum = 0, count = 0;
    r.nll = [];
    for (let c = 0; c < nWin; c++) {
        const w = ids.slice(c * m.ctx, (c + 1) * m.ctx);
        if (addBos) w[0] = bos;
        await seq.clearHistory();
        out = await seq.controlledEvaluate(w.map((t, j) => (j >= first && j + 1 < m.ctx ? [t, want] : t)));
        let s = 0;
        for (let j = first; j + 1 < m.ctx; j++) s += nll(logitsArray(out[j], nVocab), w[j + 1]);
        r.nll.push(s / (m.ctx - 1 - first));
        sum += s;
        count += m.ctx - 1 - first;
    }
    r.count = count;
    r.ppl = Math.exp(sum / count);
    results[m.name] = r;
    await context.dispose();
    await model.dispose();
}
writeFileSync(outPath, JSON.stringify({llama_cpp_release: llama.llamaCppRelease, models: results}));
await llama.dispose();
