"""What one cross-thread handoff costs on this machine: the price of the two-thread engine.

    python3 bench/experiments/handoff.py

Two Python threads pass a byte back and forth over socket pairs (as the engine's
event-loop thread and the program's loop thread do once per message), first free to
run on any CPU, then both pinned to one CPU. Prints CPU and wall time per round trip.
On the 2-CPU sandbox of 2026-11-30: 17 to 66 us CPU per round trip on any CPU (the
scheduler places the threads differently from run to run), 4.6 us on
one CPU; S1's compat engine sits at stdlib's CPU per message only in the second case.
"""

import os
import socket
import threading
import time

ROUND_TRIPS = 20000


def round_trip_us() -> "tuple[float, float]":
    a, b = socket.socketpair()
    c, d = socket.socketpair()

    def echo() -> None:
        for _ in range(ROUND_TRIPS):
            b.recv(1)
            c.send(b"x")

    thread = threading.Thread(target=echo)
    thread.start()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(ROUND_TRIPS):
        a.send(b"x")
        d.recv(1)
    thread.join(60)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    for s in (a, b, c, d):
        s.close()
    return 1e6 * cpu / ROUND_TRIPS, 1e6 * wall / ROUND_TRIPS


def main() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    cpu, wall = round_trip_us()
    print(f"any CPU ({len(cpus)}): {cpu:.1f} us CPU, {wall:.1f} us wall per round trip")
    os.sched_setaffinity(0, {cpus[0]})  # the whole process: both threads share a CPU
    cpu, wall = round_trip_us()
    print(f"one CPU: {cpu:.1f} us CPU, {wall:.1f} us wall per round trip")


if __name__ == "__main__":
    main()
