//! What assistive technologies read of the pages, in real headless Chromium:
//! labels, names, contrast and reflow.
