#!/usr/bin/env python3
"""A VNC screenshot summary, run inside Dom0 against a domain's QEMU: the
RFB 3.8 handshake without authentication (Debian's QEMU cannot do VNC
passwords), one full frame in raw 32-bit pixels, and a line saying how much
of the screen is drawn:
    vnc: 720x400, 1234 lit pixels, 5 colours, digest 0123abcd
Usage: vnc_snapshot.py HOST PORT [PPM]  (PPM: also write the frame there)."""
import socket
import struct
import sys
import zlib


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("VNC server closed the connection")
        buf += chunk
    return buf


def snapshot(host, port):
    s = socket.create_connection((host, port), timeout=60)
    version = recv_exact(s, 12)
    if not version.startswith(b"RFB 003."):
        raise ValueError("not an RFB server: %r" % version)
    s.sendall(b"RFB 003.008\n")
    n = recv_exact(s, 1)[0]
    if n == 0:
        raise ValueError("server refused: %r" % s.recv(256))
    types = recv_exact(s, n)
    if 1 not in types:
        raise ValueError("no 'None' security type: %r" % list(types))
    s.sendall(b"\x01")
    if struct.unpack(">I", recv_exact(s, 4))[0] != 0:
        raise ValueError("security handshake failed")
    s.sendall(b"\x01")  # shared
    w, h = struct.unpack(">HH", recv_exact(s, 4))
    recv_exact(s, 16)  # the server's pixel format: replaced below
    name_len = struct.unpack(">I", recv_exact(s, 4))[0]
    recv_exact(s, name_len)
    # 32 bpp, depth 24, little-endian, true colour, 8 bits each at 16/8/0.
    s.sendall(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1, 255, 255, 255, 16, 8, 0))
    s.sendall(struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: raw only
    s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
    frame = bytearray(w * h * 4)
    while True:
        kind = recv_exact(s, 1)[0]
        if kind == 0:
            break
        if kind == 2:  # bell
            continue
        if kind == 1:  # colour map entries (not used in true colour)
            _, _, count = struct.unpack(">xHH", recv_exact(s, 5))
            recv_exact(s, count * 6)
            continue
        if kind == 3:
            length = struct.unpack(">xxxI", recv_exact(s, 7))[0]
            recv_exact(s, length)
            continue
        raise ValueError("unexpected server message %d" % kind)
    nrects = struct.unpack(">xH", recv_exact(s, 3))[0]
    for _ in range(nrects):
        x, y, rw, rh, enc = struct.unpack(">HHHHi", recv_exact(s, 12))
        if enc != 0:
            raise ValueError("unexpected encoding %d" % enc)
        data = recv_exact(s, rw * rh * 4)
        for row in range(rh):
            start = ((y + row) * w + x) * 4
            frame[start:start + rw * 4] = data[row * rw * 4:(row + 1) * rw * 4]
    s.close()
    return w, h, bytes(frame)


def main():
    w, h, frame = snapshot(sys.argv[1], int(sys.argv[2]))
    pixels = [frame[i:i + 3] for i in range(0, len(frame), 4)]
    lit = sum(1 for p in pixels if p != b"\0\0\0")
    colours = len(set(pixels))
    print("vnc: %dx%d, %d lit pixels, %d colours, digest %08x" % (w, h, lit, colours, zlib.crc32(frame)))
    if len(sys.argv) > 3:
        with open(sys.argv[3], "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (w, h))
            for p in pixels:
                f.write(bytes((p[2], p[1], p[0])))


if __name__ == "__main__":
    main()
