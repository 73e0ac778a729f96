"""Entrypoint of the clinic operations dashboard."""

import streamlit as st

st.set_page_config(page_title="Clinic operations", layout="wide")
st.title("Clinic operations")
st.write("The dashboard pages are being built.")
