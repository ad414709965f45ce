"""Text as the checks and the reader see it: sentences, words and stems, facts (numbers,
dates, names, negation), places, token counts, and the one cleaner for storage and display.
"""
