#!/usr/bin/env python3
"""Prints N (default 1) distinct free ports, one per line, for servers a check starts; with --block, the block they
come from and "outside" or "anywhere" (the machine leaves no block outside the ephemeral range).

A probed port is bound later, by another process; were it an ephemeral port, an outgoing connection in between could
take it as its source port. So ports come from a block the kernel never picks source ports from: the largest reserved
block, else below or above the ephemeral range (as src/test/.../support/FreePorts.java does for the tests).
"""
import random
import socket
import sys

LOWEST, HIGHEST, ENOUGH = 10000, 65535, 1000


def read(path, default):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def quiet_block():
    low, high = (int(x) for x in read("/proc/sys/net/ipv4/ip_local_port_range", "32768 60999").split())
    reserved = []
    for part in filter(None, read("/proc/sys/net/ipv4/ip_local_reserved_ports", "").split(",")):
        bounds = part.strip().split("-")
        reserved.append((max(int(bounds[0]), 1024), int(bounds[-1])))
    reserved = [b for b in reserved if b[1] - b[0] + 1 >= ENOUGH]
    if reserved:
        return max(reserved, key=lambda b: b[1] - b[0])
    if low - LOWEST >= ENOUGH:
        return LOWEST, low - 1
    if HIGHEST - high >= ENOUGH:
        return high + 1, HIGHEST
    return None


def bindable(port):
    for host in ("", "127.0.0.1"):
        s = socket.socket()
        try:
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def main():
    block = quiet_block()
    first, last = block or (LOWEST, HIGHEST)
    if sys.argv[1:] == ["--block"]:
        print(first, last, "outside" if block else "anywhere")
        return
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    given = set()
    for _ in range(1000):
        if len(given) == wanted:
            break
        port = random.randint(first, last)
        if port not in given and bindable(port):
            given.add(port)
    if len(given) < wanted:
        sys.exit("free-port.py: no %d free ports in %d-%d" % (wanted, first, last))
    print("\n".join(str(p) for p in given))


main()
