// Drives `vkattn serve` with the official OpenAI SDK (npm "openai", installed by `scripts/npm-deps.sh openai`).
// usage: node serve_openai.mjs NPM_DIR BASE_URL API_KEY [embeddings]
// Prints one JSON object with what each call returned; tests/py_serve.py checks it.
import { createRequire } from 'module';

const [npmDir, baseURL, apiKey, withEmb] = process.argv.slice(2);
const require = createRequire(npmDir + '/');
const { OpenAI } = require('openai');

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120000 });
const out = {};
const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'A fool and his money' }];

const chat = await client.chat.completions.create({ model: 'any', messages, max_tokens: 12, temperature: 0 });
out.chat = { content: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, usage: chat.usage, object: chat.object };

const stream = await client.chat.completions.create({
  model: 'any', messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let text = '', finish = null, usage = null, chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    text += c.delta?.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
}
out.chat_stream = { content: text, finish, usage, chunks };

const comp = await client.completions.create({ model: 'any', prompt: 'The meaning of life', max_tokens: 8, temperature: 0 });
out.completion = { text: comp.choices[0].text, finish: comp.choices[0].finish_reason, usage: comp.usage };

const cs = await client.completions.create({ model: 'any', prompt: 'The meaning of life', max_tokens: 8, temperature: 0, stream: true });
let ctext = '';
for await (const chunk of cs) ctext += chunk.choices[0]?.text ?? '';
out.completion_stream = { text: ctext };

const models = await client.models.list();
out.models = models.data.map((m) => m.id);

try {
  await client.chat.completions.create({ model: 'any', messages: [{ role: 'wizard', content: 'x' }] });
  out.bad_role = { status: 200 };
} catch (e) {
  out.bad_role = { status: e.status, message: e.error?.message ?? e.message };
}

if (withEmb === 'embeddings') {
  const emb = await client.embeddings.create({ model: 'any', input: ['first text', 'second text'] }); // SDK default: base64
  out.embeddings = emb.data.map((d) => Array.from(d.embedding));
  const embf = await client.embeddings.create({ model: 'any', input: 'first text', encoding_format: 'float' });
  out.embeddings_float = embf.data.map((d) => Array.from(d.embedding));
}
console.log(JSON.stringify(out));
