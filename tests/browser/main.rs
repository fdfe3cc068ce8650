//! Browser tests of the overlays in real headless Chromium (OBS browser sources
//! are Chromium too), against a real server on 127.0.0.1:0. They need Debian's
//! `chromium` and `chromium-driver` (`scripts/install-test-deps.sh`). The
//! screenshots in `docs/screenshots/` are written by these tests when run with
//! `UPDATE_SCREENSHOTS=1`.

#[path = "../api/helpers.rs"]
mod helpers;

mod a11y_markup;
mod alert_tiers;
mod browser;
mod campaign_widgets;
mod charity;
mod credits;
mod dashboard;
mod dashboard_rewards;
mod embed_on_air;
mod follow;
mod goal;
mod held_texts;
mod host_space;
mod keyboard;
mod media;
mod milestones;
mod overlay_fit;
mod overlays;
mod public_pages;
mod rewards_overlay;
mod rewards_pages;
