"""The network-scale benchmark: contenders, the naive pandas reference and DuckDB."""
