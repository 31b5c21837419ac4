//! check_answer against real browser offers from the corpus (Safari: audio, video and a
//! data channel in one BUNDLE; Firefox 152: simulcast video and audio): a fitting answer
//! passes, and each broken answer breaks exactly the rule it was made to break.

use weir_sdp::{Attribute, Direction, SessionDescription, Setup, check_answer, check_offer, parse};
use weir_testkit::corpus;

fn offer(name: &str) -> SessionDescription {
    let (sd, _) = parse(corpus::read(&format!("sdp/webrtc-rs/{name}"))).expect("parses");
    sd
}

/// The answer a browser would give: every m= line accepted with the offer's formats,
/// setup active, its own ICE credentials, and each direction mirrored.
fn answer_to(offer: &SessionDescription) -> SessionDescription {
    let mut answer = offer.clone();
    let mirror = |attributes: &mut Vec<Attribute>| {
        for a in attributes.iter_mut() {
            match a {
                Attribute::Setup(s) => *s = Setup::Active,
                Attribute::IceUfrag(u) => *u = "answ".into(),
                Attribute::IcePwd(p) => *p = "answerpasswordof22char".into(),
                Attribute::Direction(d) => {
                    *d = match *d {
                        Direction::SendOnly => Direction::RecvOnly,
                        Direction::RecvOnly => Direction::SendOnly,
                        other => other,
                    }
                }
                _ => {}
            }
        }
    };
    mirror(&mut answer.attributes);
    for m in &mut answer.media {
        mirror(&mut m.attributes);
    }
    answer
}

fn ids(offer: &SessionDescription, answer: &SessionDescription) -> Vec<&'static str> {
    check_answer(offer, answer)
        .iter()
        .map(|v| v.rule.id)
        .collect()
}

const OFFERS: [&str; 2] = ["safari_offer.sdp", "firefox_152_simulcast_offer.sdp"];

#[test]
fn a_fitting_answer_to_a_browser_offer_breaks_nothing() {
    for name in OFFERS {
        let offer = offer(name);
        let answer = answer_to(&offer);
        assert_eq!(ids(&offer, &answer), Vec::<&str>::new(), "{name}");
        // and it survives the wire
        let (wired, _) = parse(answer.write()).expect("parses");
        assert_eq!(ids(&offer, &wired), Vec::<&str>::new(), "{name}");
    }
}

#[test]
fn the_browser_offers_pass_the_offer_checks_and_an_active_offer_does_not() {
    for name in OFFERS {
        assert_eq!(check_offer(&offer(name)), vec![], "{name}");
    }
    let mut active = offer("safari_offer.sdp");
    active.media[1]
        .attributes
        .retain(|a| !matches!(a, Attribute::IcePwd(_)));
    for a in &mut active.media[0].attributes {
        if let Attribute::Setup(s) = a {
            *s = Setup::Active;
        }
    }
    let ids: Vec<_> = check_offer(&active)
        .iter()
        .map(|v| (v.rule.id, v.offset))
        .collect();
    // Only m=audio has the wrong role; m=video lost its ice-pwd but shares the BUNDLE
    // tag's (m=audio, mid 0) transport, so it is not missing.
    assert_eq!(ids, [("sdp.dtls.setup-offer", 0)]);
}

#[test]
fn rejecting_an_m_line_with_port_zero_is_allowed() {
    let offer = offer("safari_offer.sdp");
    let mut answer = answer_to(&offer);
    answer.media[2].port = 0;
    answer.media[2].formats = offer.media[2].formats.clone();
    for a in &mut answer.attributes {
        if let Attribute::Group(g) = a {
            g.mids.retain(|m| m != "2");
        }
    }
    assert_eq!(ids(&offer, &answer), Vec::<&str>::new());
}

/// Each breakage of the Safari answer, and the one rule it must break.
#[test]
fn each_broken_answer_breaks_its_rule() {
    let offer = offer("safari_offer.sdp");
    type Break = fn(&mut SessionDescription);
    let cases: [(&str, Break); 11] = [
        ("sdp.offer-answer.m-line-count", |a| {
            a.media.pop();
        }),
        ("sdp.offer-answer.media-type", |a| {
            a.media[1].media = "audio".into()
        }),
        ("sdp.offer-answer.payload-type", |a| {
            a.media[0].formats.push("77".into())
        }),
        ("sdp.offer-answer.mid", |a| {
            for attr in &mut a.media[2].attributes {
                if let Attribute::Mid(m) = attr {
                    *m = "data".into();
                }
            }
        }),
        ("sdp.offer-answer.bundle-subset", |a| {
            for attr in &mut a.attributes {
                if let Attribute::Group(g) = attr {
                    g.mids.push("3".into());
                }
            }
        }),
        ("sdp.offer-answer.bundle-tag", |a| a.media[0].port = 0),
        ("sdp.dtls.setup-answer", |a| {
            for m in &mut a.media {
                for attr in &mut m.attributes {
                    if let Attribute::Setup(s) = attr {
                        *s = Setup::ActPass;
                    }
                }
            }
        }),
        ("sdp.ice.credentials-missing", |a| {
            for m in &mut a.media {
                m.attributes.retain(|x| !matches!(x, Attribute::IcePwd(_)));
            }
        }),
        ("sdp.ice.ufrag-length", |a| {
            for m in &mut a.media {
                for attr in &mut m.attributes {
                    if let Attribute::IceUfrag(u) = attr {
                        *u = "a:b".into();
                    }
                }
            }
        }),
        ("sdp.dtls.fingerprint-hash", |a| {
            for m in &mut a.media {
                for attr in &mut m.attributes {
                    if let Attribute::Fingerprint(f) = attr {
                        f.hash = "sha-3000".into();
                    }
                }
            }
        }),
        // The offer is changed too, below: its video becomes sendonly.
        ("sdp.offer-answer.direction", |_| {}),
    ];
    for (rule, break_it) in cases {
        let mut answer = answer_to(&offer);
        break_it(&mut answer);
        let mut offer = offer.clone();
        if rule == "sdp.offer-answer.direction" {
            // An inactive answer fits any offer; a sendrecv answer to a sendonly offer
            // does not: make the offer's video sendonly and the answer sendrecv.
            for a in &mut offer.media[1].attributes {
                if let Attribute::Direction(d) = a {
                    *d = Direction::SendOnly;
                }
            }
            answer.media[1]
                .attributes
                .retain(|x| !matches!(x, Attribute::Direction(_)));
            answer.media[1]
                .attributes
                .push(Attribute::Direction(Direction::SendRecv));
        }
        let got = ids(&offer, &answer);
        assert!(got.contains(&rule), "{rule}: got {got:?}");
        assert!(got.iter().all(|id| *id == rule), "{rule}: also {got:?}");
    }
}

#[test]
fn setup_roles_follow_rfc_8842() {
    use Setup::*;
    assert!(ActPass.allows_answer(Active) && ActPass.allows_answer(Passive));
    assert!(!ActPass.allows_answer(ActPass) && !ActPass.allows_answer(HoldConn));
    assert!(Active.allows_answer(Passive) && !Active.allows_answer(Active));
    assert!(Passive.allows_answer(Active) && !Passive.allows_answer(Passive));
}

#[test]
fn directions_follow_rfc_3264() {
    use Direction::*;
    let allowed = [
        (
            SendRecv,
            [SendRecv, SendOnly, RecvOnly, Inactive].as_slice(),
        ),
        (SendOnly, [RecvOnly, Inactive].as_slice()),
        (RecvOnly, [SendOnly, Inactive].as_slice()),
        (Inactive, [Inactive].as_slice()),
    ];
    for (offer, answers) in allowed {
        for answer in [SendRecv, SendOnly, RecvOnly, Inactive] {
            assert_eq!(
                offer.allows_answer(answer),
                answers.contains(&answer),
                "{offer} → {answer}"
            );
        }
    }
}
