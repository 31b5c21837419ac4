//! Offer/answer checks (RFC 3264 §6, RFC 8829 §5.3): whether an answer fits its offer.
//!
//! Violations from [`check_answer`] carry as their offset the index of the answer's m=
//! line they concern (0 for session-level findings), not a byte offset.

use crate::attribute::Attribute;
use crate::dtls::{Setup, hash_length};
use crate::ice;
use crate::media::MediaDescription;
use crate::rules;
use crate::session::SessionDescription;
use weir_media::Violation;

/// The m= line whose transport a bundled m= line shares: the one named by the first mid
/// (the tag) of the BUNDLE group holding `m`'s mid (RFC 9143 §7).
fn bundle_tag<'a>(
    sd: &'a SessionDescription,
    m: &MediaDescription,
) -> Option<&'a MediaDescription> {
    let mid = m.mid()?;
    let group = sd
        .bundle_groups()
        .find(|g| g.mids.iter().any(|x| x == mid))?;
    sd.media_by_mid(group.mids.first()?)
}

/// Checks `answer` against `offer` and returns what it breaks: m= line count, order and
/// media types; payload types a subset of the offer's; mids kept; BUNDLE a subset with an
/// accepted tag; the DTLS setup role; ICE credentials present and well-formed; a
/// fingerprint on DTLS transports, with a known hash function; rtcp-mux only where offered;
/// directions compatible. Rejected m= lines (port 0) are only held to
/// count, type and mid.
pub fn check_answer(offer: &SessionDescription, answer: &SessionDescription) -> Vec<Violation> {
    let mut out = Vec::new();
    let v = |out: &mut Vec<Violation>, rule, at: usize, detail: String| {
        out.push(Violation::new(rule, at as u64, detail));
    };
    if offer.media.len() != answer.media.len() {
        v(
            &mut out,
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
                &mut out,
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
                &mut out,
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
                        &mut out,
                        &rules::OA_PAYLOAD_TYPE,
                        i,
                        format!("format {f} is not in the offer's m= line"),
                    );
                }
            }
        }
        let transport = bundle_tag(answer, a).unwrap_or(a);
        check_transport(answer, a, i, offer_uses_ice, &mut out);
        if let Some(offered) = o.setup(offer) {
            match a.setup(answer).or(transport.setup(answer)) {
                Some(answered) if offered.allows_answer(answered) => {}
                answered => out.push(Violation::new(
                    &rules::DTLS_SETUP_ANSWER,
                    i as u64,
                    format!("offer setup {offered}, answer setup {answered:?}"),
                )),
            }
        }
        let mux = |m: &MediaDescription| m.attributes.contains(&Attribute::RtcpMux);
        if mux(a) && !mux(o) {
            v(
                &mut out,
                &rules::OA_RTCP_MUX,
                i,
                "rtcp-mux in the answer but not in the offer".into(),
            );
        }
        let (od, ad) = (o.direction(offer), a.direction(answer));
        if !od.allows_answer(ad) {
            v(
                &mut out,
                &rules::OA_DIRECTION,
                i,
                format!("offer {od} answered with {ad}"),
            );
        }
    }
    let offer_bundles: Vec<_> = offer.bundle_groups().collect();
    for group in answer.bundle_groups() {
        if !offer_bundles
            .iter()
            .any(|og| group.mids.iter().all(|m| og.mids.contains(m)))
        {
            v(
                &mut out,
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
                    &mut out,
                    &rules::OA_BUNDLE_TAG,
                    tagged.unwrap_or(0),
                    format!("BUNDLE tag {tag:?} names no accepted m= line"),
                ),
            }
        }
    }
    out
}

/// The checks of one accepted m= line's transport, for offers and answers alike: ICE
/// credentials present (when the session uses ICE) and well-formed, and on a DTLS transport
/// a fingerprint with a known hash function. A bundled m= line may take them from its
/// BUNDLE tag (RFC 9143 §7).
fn check_transport(
    sd: &SessionDescription,
    m: &MediaDescription,
    i: usize,
    uses_ice: bool,
    out: &mut Vec<Violation>,
) {
    let at = i as u64;
    let transport = bundle_tag(sd, m).unwrap_or(m);
    if uses_ice {
        let ufrag = m.ice_ufrag(sd).or(transport.ice_ufrag(sd));
        let pwd = m.ice_pwd(sd).or(transport.ice_pwd(sd));
        match (ufrag, pwd) {
            (Some(ufrag), Some(pwd)) => {
                for p in ice::check_ufrag(ufrag)
                    .into_iter()
                    .chain(ice::check_pwd(pwd))
                {
                    out.push(Violation::new(p.rule, at, p.detail));
                }
            }
            _ => out.push(Violation::new(
                &rules::ICE_CREDENTIALS,
                at,
                "no ice-ufrag or ice-pwd at media or session level",
            )),
        }
    }
    let mut fingerprints = m.fingerprints(sd);
    if fingerprints.is_empty() {
        fingerprints = transport.fingerprints(sd);
    }
    if fingerprints.is_empty() && m.protocol.contains("TLS") {
        out.push(Violation::new(
            &rules::DTLS_FINGERPRINT_MISSING,
            at,
            format!("{} without a fingerprint", m.protocol),
        ));
    }
    for fp in fingerprints {
        if hash_length(&fp.hash).is_none() {
            out.push(Violation::new(
                &rules::DTLS_FINGERPRINT_HASH,
                at,
                format!("unknown hash function {:?}", fp.hash),
            ));
        }
    }
}

/// Checks an initial offer on its own (RFC 8842 §5.2, RFC 8839 §5.4, RFC 8122 §5): every
/// m= line it does not disable (port 0) has ICE credentials when the offer uses ICE, a
/// fingerprint with a known hash on DTLS transports, and a DTLS setup of actpass. Offsets
/// are m= line indexes, as for [`check_answer`].
pub fn check_offer(offer: &SessionDescription) -> Vec<Violation> {
    let mut out = Vec::new();
    let uses_ice = offer.media.iter().any(|m| m.ice_ufrag(offer).is_some());
    for (i, m) in offer.media.iter().enumerate() {
        if m.is_rejected() {
            continue;
        }
        check_transport(offer, m, i, uses_ice, &mut out);
        let setup = m
            .setup(offer)
            .or(bundle_tag(offer, m).and_then(|t| t.setup(offer)));
        if let Some(setup) = setup
            && setup != Setup::ActPass
        {
            out.push(Violation::new(
                &rules::DTLS_SETUP_OFFER,
                i as u64,
                format!("an initial offer with setup {setup}"),
            ));
        }
    }
    out
}
