"""Real terminals over the socket: PTYs, their programs, and who watches them.

- ``process``: start a program on a new PTY and stop its whole session (no Django).
- ``scrollback``: the bounded recent output a reattaching socket replays (no Django).
- ``terminal``: one running terminal on the event loop: batched output, input, resize, exit.
- ``record``: a terminal's database row (TerminalRecord), which any process can stop the terminal by.
- ``registry``: the terminals of this server process, their database records, and shutdown.
"""
