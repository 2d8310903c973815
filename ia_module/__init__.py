"""CryptoViz IA service: per-coin short-horizon price forecasts with calibrated intervals.

Pure modules (`resample`, `models`, `backtest`, `scoring`) hold the logic and are
tested without Elasticsearch; `history` and `store` are the only modules that
talk to Elasticsearch; `cycle` wires one forecast-and-score pass (start there);
`__main__` is the command line, ``python -m ia_module``.
"""
