//! `linkus autorenew enable --sn SN`: the portal's Enable Auto-renewal (partner-api.md 10.10)
//! for the PBX's current Linkus plan. The portal offers no API to switch it off.

/// Where a person switches auto-renewal off: the portal's own page (behind a CAPTCHA).
pub const CANCEL_AUTO_RENEW: &str = "Partner Portal > Plan Details > Cancel Auto Renew";
