//! The campaign the examples measure with: one campaign in euros with a sponsor
//! match, 100 lives, and donations of varied amounts, names and messages.

use cagnotte::domain::state::{BodyDigest, IdempotencyKey};
use cagnotte::domain::{Campaign, Donation, Live, Match, Timestamp};
use cagnotte::money::Currency;

pub const LIVES: usize = 100;

pub fn euro() -> Currency {
    Currency::parse("EUR").expect("EUR")
}

pub fn campaign(now: Timestamp) -> Campaign {
    Campaign { created_at: now, ..Campaign::new("c", "Bench", euro()) }
}

/// A sponsor doubling every donation, up to `cap` cents.
pub fn sponsor_match(cap: i64, now: Timestamp) -> Match {
    Match {
        id: "m".into(),
        campaign_id: "c".into(),
        sponsor: "S".into(),
        ratio: [1, 1],
        cap,
        starts_at: None,
        ends_at: None,
        min_amount: None,
        max_per_donation: None,
        created_at: now,
        logo: None,
    }
}

/// The `l`th live of the campaign.
pub fn live(l: usize, now: Timestamp) -> Live {
    let (key, overlay) = (cagnotte::secret::hash(&format!("k{l}")), cagnotte::secret::hash(&format!("o{l}")));
    Live { created_at: now, ..Live::new(format!("live-{l}"), "c", "H", key, overlay) }
}

/// The `i`th donation (id `id`, to live `i % LIVES`): a tenth anonymous, a third
/// with a message; with `keyed`, a key the shape of a UUID and the digest of a
/// request body, as integrations send.
pub fn donation(i: usize, id: String, keyed: bool) -> (Donation, Option<IdempotencyKey>) {
    let d = Donation::new(
        id,
        format!("live-{}", i % LIVES),
        100 + (i % 5000) as i64,
        euro(),
        Some(format!("Donor {}", i % 997)),
        i.is_multiple_of(10),
        i.is_multiple_of(3).then(|| "Merci pour ce live, bravo à tous !".to_owned()),
        "twitch".into(),
    );
    let idempotency = keyed.then(|| IdempotencyKey {
        key: format!("{:08x}-4b1d-4e2a-9c3f-{:012x}", i, i * 7919),
        body_hash: BodyDigest::of(i.to_string().as_bytes()),
    });
    (d, idempotency)
}
