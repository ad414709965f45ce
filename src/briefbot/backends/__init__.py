"""Backends behind small protocols: embedders, the chat client, the Chroma store and the
lexical (BM25) index.
"""
