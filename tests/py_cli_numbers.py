#!/usr/bin/python3
# vkattn-test: host
"""Every numeric option of every command is parsed strictly (apps/cli_args.c): a malformed or out-of-range
value exits with status 2 before any work, and stderr names the option and the value. Good values, including
llama.cpp's special ones (-n -1, -c 0, --seed -1), get past parsing: with --device no-such-device the command
then fails creating the context (status 1), which shows that parsing accepted them without running a model."""
import argparse
import subprocess
import sys

NODEV = ["--device", "no-such-device"]

# (command words, option, bad values); every case also passes the required options of the command.
BAD = [
    (["run"], "-n", ["-2", "", "12abc", "4294967295", " 5", "1e3", "0x10"]),
    (["run"], "-c", ["4294967297", "12abc", "-1", "", "2147483648"]),
    (["run"], "-b", ["0", "-1", "x"]),
    (["run"], "--temp", ["nan", "inf", "-0.5", "1e7", "0.8x", ""]),
    (["run"], "--top-k", ["-1", "2.5"]),
    (["run"], "--top-p", ["1.5", "-0.1", "nan"]),
    (["run"], "--min-p", ["2", "-inf"]),
    (["run"], "--repeat-penalty", ["-1", "nan"]),
    (["run"], "--seed", ["-2", "18446744073709551616", "abc"]),
    (["run"], "--repeat-last-n", ["-2", "16777217", "8x"]),
    (["run"], "--frequency-penalty", ["2.5", "-3", "nan"]),
    (["run"], "--presence-penalty", ["-2.01", "inf"]),
    (["chat"], "--temp", ["-1", "hot"]),
    (["chat"], "--repeat-last-n", ["-5"]),
    (["chat"], "-n", ["-2", "x"]),
    (["serve"], "--frequency-penalty", ["9"]),
    (["serve"], "--seed", ["x"]),
    (["run"], "--ids", ["3,,4", "3,x", "-1", "", "3,4,"]),
    (["perplexity", "-m", "x.gguf", "-f", "x.txt"], "-c", ["3", "4294967297", "512k"]),
    (["perplexity", "-m", "x.gguf", "-f", "x.txt"], "-b", ["-1", "1.5"]),
    (["perplexity", "-m", "x.gguf", "-f", "x.txt"], "--chunks", ["-3", "many"]),
    (["bench", "model", "-m", "x.gguf"], "-p", ["-1", "99999999"]),
    (["bench", "model", "-m", "x.gguf"], "-n", ["-1", "x"]),
    (["bench", "model", "-m", "x.gguf"], "-r", ["0", "101"]),
    (["bench", "model", "-m", "x.gguf"], "-b", ["-5"]),
    (["bench", "attention"], "--min-len", ["0", "4294967297"]),
    (["bench", "attention"], "--max-len", ["-1"]),
    (["bench", "attention"], "--decode-len", ["1x"]),
    (["bench", "attention"], "--heads", ["0"]),
    (["bench", "attention"], "--dims", ["64,", "0", "64,128,256,32,16", "64;128"]),
    (["bench", "attention"], "--budget-ms", ["-1", "nan"]),
    (["bench", "attention"], "--case-limit", ["inf"]),
    (["bench", "gemm"], "--scale", ["0", "-2", "x"]),
    (["bench", "gemm"], "--reps", ["0", "-1"]),
    (["bench", "gemm"], "--m", ["1,,2", "0", "1,2,3,4,5,6,7,8,9"]),
    (["bench", "gemm"], "--shape", ["4096", "4096x", "x4096", "4096x4096x2", "-4096x4096"]),
    (["bench", "encoder"], "--reps", ["0", "-1", "2x"]),
    (["bench", "encoder"], "--shapes", ["128", "128x0", "128x1,", "ax1"]),
    (["bench", "encoder"], "--images", ["-1", "1,,8", "0,8"]),
    (["attn-map", "-m", "dir", "-o", "x.png", "-p", "hi"], "--layer", ["-1", "1.5", "4294967296"]),
    (["attn-map", "-m", "dir", "-o", "x.png", "-p", "hi"], "--head", ["x", ""]),
    (["classify-image", "-m", "dir", "img.png"], "--top", ["0", "1001", "5x"]),
    (["seq2seq", "-m", "dir", "--src", "hi"], "--beam", ["0", "-1"]),
    (["seq2seq", "-m", "dir", "--src", "hi"], "--max-tokens", ["65537", "ten"]),
    (["seq2seq", "-m", "dir", "--src", "hi"], "--length-penalty", ["nan", "1e9", "0.6.1"]),
]

# Op flags are checked by the runner once the context exists: these need a device (skipped without one).
BAD_OP = [
    (["op", "topk"], "--k", ["0", "257", "3x"]),
    (["op", "rope"], "--theta", ["inf", "0", "-5"]),
    (["op", "rope"], "--rotary-dims", ["-1"]),
    (["op", "rope"], "--offset", ["-1", "4294967296"]),
    (["op", "sinusoidal"], "--length", ["0", "x"]),
    (["op", "layer-norm"], "--eps", ["nan", "-1e-5"]),
    (["op", "scale"], "--alpha", ["nan", "inf"]),
    (["op", "mha"], "--heads", ["0", "-2"]),
]

# Good values: parsing accepts them (the command then fails at the context: status 1, no "bad value").
GOOD = [
    ["run", "-n", "-1", "-c", "0", "--seed", "-1", "--temp", "0", "--top-p", "1", "--min-p", "0", "--top-k", "0"],
    ["run", "-n", "0", "-c", "2147483647", "-b", "1", "--seed", "18446744073", "--repeat-penalty", "1.1", "--ids", "1,2,3"],
    ["run", "-n", "+5", "--temp", "1e-3", "--top-p", "0.95", "--ids", "0"],
    ["run", "--repeat-last-n", "-1", "--frequency-penalty", "-2", "--presence-penalty", "2", "--repeat-penalty", "0.9"],
    ["chat", "--temp", "0", "--repeat-last-n", "0", "--frequency-penalty", "0.5", "--seed", "-1", "-n", "-1", "-c", "0"],
    ["serve", "--repeat-penalty", "1.1", "--repeat-last-n", "-1", "--presence-penalty", "0.5", "--seed", "7"],
    ["perplexity", "-m", "x.gguf", "-f", "/dev/null", "-c", "4", "-b", "0", "--chunks", "0"],
    ["bench", "model", "-m", "x.gguf", "-p", "0", "-n", "16", "-r", "100", "-b", "0"],
    ["bench", "attention", "--min-len", "1", "--max-len", "1048576", "--dims", "64,128,256,1", "--budget-ms", "0"],
    ["bench", "gemm", "--scale", "64", "--m", "1,16", "--shape", "64x32", "--reps", "1"],
    ["bench", "encoder", "--reps", "1", "--shapes", "128x1,512x32", "--images", "0"],
    ["seq2seq", "-m", "dir", "--src", "hi", "--beam", "4", "--max-tokens", "65536", "--length-penalty", "-0.5"],
    ["classify-image", "-m", "dir", "--top", "1000", "img.png"],
    ["attn-map", "-m", "dir", "-o", "x.png", "-p", "hi", "--layer", "0", "--head", "65535"],
]


def run(vkattn, args):
    r = subprocess.run([vkattn, *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    fails = n = 0
    for table, is_op in ((BAD, False), (BAD_OP, True)):
        for words, opt, values in table:
            for v in values:
                args = [*words, opt, v]
                rc, err = run(a.vkattn, args)
                if is_op and rc == 1 and "creating the context" in err:
                    print(f"skip {args}: no device")
                    continue
                want = f'bad value "{v}" for {opt}'
                ok = rc == 2 and want in err and "Sanitizer" not in err
                n += 1
                fails += not ok
                print(("ok   " if ok else "FAIL ") + f"{' '.join(args)!r} -> {rc}" +
                      ("" if ok else f" (want 2 and {want!r}):\n{err.strip()[-400:]}"))
    for args in GOOD:
        rc, err = run(a.vkattn, [*args, *NODEV])
        ok = rc == 1 and "bad value" not in err and "creating the context" in err
        n += 1
        fails += not ok
        print(("ok   " if ok else "FAIL ") + f"accepted {' '.join(args)!r}" + ("" if ok else f" -> {rc}:\n{err.strip()[-400:]}"))
    print(f"{fails} of {n} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
