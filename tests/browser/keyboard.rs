//! Keyboard use of the organisers' and the hosts' pages in real headless
//! Chromium: focus stays where the user works while gifts come.
