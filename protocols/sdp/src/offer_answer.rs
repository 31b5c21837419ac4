//! Offer/answer checks (RFC 3264 §6, RFC 8829 §5.3): whether an answer fits its offer.
//!
//! Violations from [`check_answer`] carry as their offset the index of the answer's m=
//! line they concern (0 for session-level findings), not a byte offset.

use crate::attribute::Attribute;
use crate::dtls::hash_length;
use crate::ice;
use crate::media::MediaDescription;
use crate::rules;
use crate::session::SessionDescription;
use weir_media::Violation;

/// The answer's m= line whose transport a bundled m= line shares: the one named by the
/// first mid of the answer's BUNDLE group holding `m`'s mid (RFC 9143 §7.3.1).
fn bundle_tag<'a>(
    answer: &'a SessionDescription,
    m: &MediaDescription,
) -> Option<&'a MediaDescription> {
    let mid = m.mid()?;
    let group = answer
        .groups()
        .find(|g| g.is_bundle() && g.mids.iter().any(|x| x == mid))?;
    let tag = group.mids.first()?;
    answer.media.iter().find(|x| x.mid() == Some(tag.as_str()))
}

/// Checks `answer` against `offer` and returns what it breaks: m= line count, order and
/// media types; payload types a subset of the offer's; mids kept; BUNDLE a subset with an
/// accepted tag; the DTLS setup role; ICE credentials present and well-formed; a
/// fingerprint on DTLS transports, with a known hash function; rtcp-mux only where offered;
/// directions compatible. Rejected m= lines (port 0) are only held to
/// count, type and mid.
pub fn check_answer(offer: &SessionDescription, answer: &SessionDescription) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut v = |rule, at: usize, detail: String| out.push(Violation::new(rule, at as u64, detail));
    if offer.media.len() != answer.media.len() {
        v(
            &rules::OA_M_LINE_COUNT,
            0,
            format!(
                "the offer has {} m= lines, the answer {}",
                offer.media.len(),
                answer.media.len()
            ),
        );
    }
    let offer_uses_ice = offer.media.iter().any(|m| m.ice_ufrag(offer).is_some());
    for (i, (o, a)) in offer.media.iter().zip(&answer.media).enumerate() {
        if o.media != a.media {
            v(
                &rules::OA_MEDIA_TYPE,
                i,
                format!("offer m={} answered with m={}", o.media, a.media),
            );
        }
        if let Some(mid) = o.mid()
            && a.mid() != Some(mid)
            && !(a.is_rejected() && a.mid().is_none())
        {
            v(
                &rules::OA_MID,
                i,
                format!("offer mid {mid:?}, answer mid {:?}", a.mid()),
            );
        }
        if a.is_rejected() {
            continue;
        }
        if a.is_rtp() {
            for f in &a.formats {
                if !o.formats.contains(f) {
                    v(
                        &rules::OA_PAYLOAD_TYPE,
                        i,
                        format!("format {f} is not in the offer's m= line"),
                    );
                }
            }
        }
        let transport = bundle_tag(answer, a).unwrap_or(a);
        if offer_uses_ice {
            let ufrag = a.ice_ufrag(answer).or(transport.ice_ufrag(answer));
            let pwd = a.ice_pwd(answer).or(transport.ice_pwd(answer));
            match (ufrag, pwd) {
                (Some(ufrag), Some(pwd)) => {
                    for p in ice::check_ufrag(ufrag)
                        .into_iter()
                        .chain(ice::check_pwd(pwd))
                    {
                        v(p.rule, i, p.detail);
                    }
                }
                _ => v(
                    &rules::ICE_CREDENTIALS,
                    i,
                    "no ice-ufrag or ice-pwd at media or session level".into(),
                ),
            }
        }
        if let Some(offered) = o.setup(offer) {
            match a.setup(answer).or(transport.setup(answer)) {
                Some(answered) if offered.allows_answer(answered) => {}
                answered => v(
                    &rules::DTLS_SETUP_ANSWER,
                    i,
                    format!("offer setup {offered}, answer setup {answered:?}"),
                ),
            }
        }
        let mut fingerprints = a.fingerprints(answer);
        if fingerprints.is_empty() {
            fingerprints = transport.fingerprints(answer);
        }
        if fingerprints.is_empty() && a.protocol.contains("TLS") {
            v(
                &rules::DTLS_FINGERPRINT_MISSING,
                i,
                format!("{} without a fingerprint", a.protocol),
            );
        }
        for fp in fingerprints {
            if hash_length(&fp.hash).is_none() {
                v(
                    &rules::DTLS_FINGERPRINT_HASH,
                    i,
                    format!("unknown hash function {:?}", fp.hash),
                );
            }
        }
        let mux = |m: &MediaDescription| m.attributes.contains(&Attribute::RtcpMux);
        if mux(a) && !mux(o) {
            v(
                &rules::OA_RTCP_MUX,
                i,
                "rtcp-mux in the answer but not in the offer".into(),
            );
        }
        let (od, ad) = (o.direction(offer), a.direction(answer));
        if !od.allows_answer(ad) {
            v(
                &rules::OA_DIRECTION,
                i,
                format!("offer {od} answered with {ad}"),
            );
        }
    }
    let offer_bundles: Vec<_> = offer.groups().filter(|g| g.is_bundle()).collect();
    for group in answer.groups().filter(|g| g.is_bundle()) {
        if !offer_bundles
            .iter()
            .any(|og| group.mids.iter().all(|m| og.mids.contains(m)))
        {
            v(
                &rules::OA_BUNDLE_SUBSET,
                0,
                format!(
                    "answer BUNDLE {:?} is not within an offered BUNDLE group",
                    group.mids
                ),
            );
        }
        if let Some(tag) = group.mids.first() {
            let tagged = answer
                .media
                .iter()
                .position(|m| m.mid() == Some(tag.as_str()));
            match tagged {
                Some(at) if !answer.media[at].is_rejected() => {}
                _ => v(
                    &rules::OA_BUNDLE_TAG,
                    tagged.unwrap_or(0),
                    format!("BUNDLE tag {tag:?} names no accepted m= line"),
                ),
            }
        }
    }
    out
}
