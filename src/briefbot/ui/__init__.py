"""Helpers of the Streamlit app: ``text`` formats data for display, ``components`` draws it."""
