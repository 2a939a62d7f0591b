#!/usr/bin/env python3
"""Appends (or replaces) a custom section in a wasm module.

    wasm_add_custom_section.py MODULE.wasm SECTION-NAME CONTENT-FILE

Used to embed the Candid interface as `icp:public candid:service`, which is what
`ic-wasm metadata candid:service -v public` writes, when ic-wasm is not installed.
"""
import sys


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_leb(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def main():
    path, name, content_path = sys.argv[1:4]
    data = open(path, "rb").read()
    content = open(content_path, "rb").read()
    if data[:8] != b"\0asm\x01\0\0\0":
        sys.exit(f"{path}: not a wasm module")
    out = bytearray(data[:8])
    i = 8
    while i < len(data):
        start = i
        sid = data[i]
        size, j = read_leb(data, i + 1)
        end = j + size
        if sid == 0:
            nlen, k = read_leb(data, j)
            if data[k:k + nlen].decode("utf-8", "replace") == name:
                i = end
                continue  # drop the old copy
        out += data[start:end]
        i = end
    nb = name.encode()
    payload = leb(len(nb)) + nb + content
    out += b"\0" + leb(len(payload)) + payload
    open(path, "wb").write(bytes(out))


if __name__ == "__main__":
    main()
