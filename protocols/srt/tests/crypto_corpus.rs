//! The real proof of the encryption: the corpus capture of ffmpeg 5.1 (libsrt 1.5.1) calling
//! `srt-live-transmit` with passphrase `testpassphrase123` and pbkeylen 16
//! (`srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_aes128.pcapng`, see its README).
//! We take the KMREQ from the caller's conclusion handshake (parsed by [`Packet::parse`]),
//! derive the KEK from the passphrase, unwrap the key, and decrypt every data packet: each
//! payload must come out as whole MPEG-TS packets. The listener's KMRSP must echo the KMREQ.
//!
//! The same for AES-256, which the corpus lacks: `captures/ffmpeg-slt-srt-aes256.pcapng`, the
//! project's own recording of the same two peers with pbkeylen 32 (see `captures/README.md`).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use weir_capture::flow::CaptureEvents;
use weir_capture::{FlowEvent, Limits};
use weir_srt::control::{Control, ControlPacket};
use weir_srt::crypto::{CryptoContext, KeyIndex};
use weir_srt::extension::Extension;
use weir_srt::handshake::{Handshake, HandshakeType, RejectReason};
use weir_srt::kdf::Passphrase;
use weir_srt::km::{KeyLength, KmResponse};
use weir_srt::packet::Packet;
use weir_srt::{SeqNumber, km::KeyMaterial};
use weir_testkit::corpus;

const CAPTURE: &str = "srt/locally_generated/srt_ffmpeg_caller_to_slt_listener_aes128.pcapng";
const PASSPHRASE: &str = "testpassphrase123";
const AES256_CAPTURE: &str = "ffmpeg-slt-srt-aes256.pcapng";
const AES256_PASSPHRASE: &str = "weir-aes256-passphrase";

fn corpus_datagrams(path: &str) -> Vec<Bytes> {
    datagrams(&corpus::path(path))
}

fn captures_datagrams(name: &str) -> Vec<Bytes> {
    let captures = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../captures"));
    datagrams(&captures.join(name))
}

/// Every UDP payload of a capture, in order.
fn datagrams(path: &Path) -> Vec<Bytes> {
    let file = BufReader::new(File::open(path).unwrap());
    let mut out = Vec::new();
    for event in CaptureEvents::new(file, Limits::default()).unwrap() {
        if let FlowEvent::Datagram { bytes, .. } = event.unwrap().event {
            out.push(bytes);
        }
    }
    out
}

/// The handshakes of a capture's datagrams, in order (srtwire's parser).
fn handshakes(datagrams: &[Bytes]) -> Vec<Handshake> {
    datagrams
        .iter()
        .filter_map(|d| match Packet::parse(d, &mut Vec::new()).unwrap() {
            Packet::Control(ControlPacket {
                control: Control::Handshake(hs),
                ..
            }) => Some(hs),
            _ => None,
        })
        .collect()
}

/// The first KMREQ (`request`) or KMRSP body among the handshakes.
fn km_extension(handshakes: &[Handshake], request: bool) -> Option<Bytes> {
    handshakes
        .iter()
        .flat_map(|hs| &hs.extensions)
        .find_map(|ext| match (ext, request) {
            (Extension::KmReq(body), true) | (Extension::KmRsp(body), false) => Some(body.clone()),
            _ => None,
        })
}

/// A data packet's sequence number, KK bits and payload.
fn data_packet(datagram: &Bytes) -> Option<(SeqNumber, u8, Bytes)> {
    match Packet::parse(datagram, &mut Vec::new()).unwrap() {
        Packet::Data(data) => Some((data.seq, data.key.bits() as u8, data.payload)),
        Packet::Control(_) => None,
    }
}

/// Whether `payload` is whole 188-byte TS packets, each starting with the sync byte.
fn whole_ts_packets(payload: &[u8]) -> bool {
    !payload.is_empty()
        && payload.len().is_multiple_of(188)
        && payload.chunks(188).all(|p| p[0] == 0x47)
}

fn kmreq_and_kmrsp(datagrams: &[Bytes]) -> (Bytes, Bytes) {
    let handshakes = handshakes(datagrams);
    let kmreq = km_extension(&handshakes, true).expect("the caller's conclusion carries a KMREQ");
    let kmrsp =
        km_extension(&handshakes, false).expect("the listener's conclusion carries a KMRSP");
    (kmreq, kmrsp)
}

#[test]
fn the_kmreq_of_libsrt_parses_clean_as_aes128_with_the_even_key() {
    let (kmreq, _) = kmreq_and_kmrsp(&corpus_datagrams(CAPTURE));
    let mut violations = Vec::new();
    let km = KeyMaterial::parse_checked(&kmreq, &mut violations).unwrap();
    assert_eq!(violations, vec![]);
    assert_eq!(km.key_length, KeyLength::Aes128);
    assert_eq!(km.keys, weir_srt::km::KeyFlags::Even);
    assert_eq!((km.salt.len(), km.wrapped.len()), (16, 24));
    // libsrt's message is canonical: it writes back byte for byte.
    assert_eq!(km.to_bytes(), kmreq);
}

/// Accepts the capture's KMREQ as the responder with `passphrase`, checks the listener's
/// KMRSP echoed it, and decrypts every data packet; returns how many, all whole TS packets.
fn decrypt_capture(datagrams: &[Bytes], passphrase: &str, key_length: KeyLength) -> usize {
    let (kmreq, kmrsp) = kmreq_and_kmrsp(datagrams);
    let mut violations = Vec::new();
    let passphrase = Passphrase::new(passphrase).unwrap();
    let (context, echo) = CryptoContext::responder(passphrase, &kmreq, &mut violations).unwrap();
    assert_eq!(violations, vec![]);
    assert_eq!(context.rx_keys().key_length(), key_length);
    // srt-live-transmit accepted the key and echoed the KMREQ, as we do.
    assert_eq!(kmrsp, echo);
    assert!(matches!(
        KmResponse::parse_checked(&kmrsp, &mut violations).unwrap(),
        KmResponse::Accepted(_)
    ));

    let mut decrypted = 0;
    for datagram in datagrams {
        let Some((seq, kk, payload)) = data_packet(datagram) else {
            continue;
        };
        assert_eq!(
            KeyIndex::from_kk(kk).unwrap(),
            Some(KeyIndex::Even),
            "packet {seq}"
        );
        assert!(
            !whole_ts_packets(&payload),
            "packet {seq} is clear on the wire"
        );
        let mut payload = payload.to_vec();
        context.decrypt(kk, seq, &mut payload).unwrap();
        assert!(whole_ts_packets(&payload), "packet {seq} did not decrypt");
        decrypted += 1;
    }
    decrypted
}

#[test]
fn every_data_packet_of_the_aes128_capture_decrypts_to_whole_ts_packets() {
    let datagrams = corpus_datagrams(CAPTURE);
    // 158 data packets, as tshark counts them
    // (`tshark -d udp.port==9000,srt -Y "srt.iscontrol == 0"`).
    assert_eq!(
        decrypt_capture(&datagrams, PASSPHRASE, KeyLength::Aes128),
        158
    );
}

#[test]
fn every_data_packet_of_our_aes256_recording_decrypts_to_whole_ts_packets() {
    let datagrams = captures_datagrams(AES256_CAPTURE);
    // 65 data packets, as tshark counts them (`-Y "srt.iscontrol == 0"`).
    assert_eq!(
        decrypt_capture(&datagrams, AES256_PASSPHRASE, KeyLength::Aes256),
        65
    );
}

#[test]
fn a_wrong_passphrase_fails_the_unwrap_as_a_bad_secret() {
    let (kmreq, _) = kmreq_and_kmrsp(&corpus_datagrams(CAPTURE));
    let wrong = Passphrase::new("testpassphrase124").unwrap();
    let e = CryptoContext::responder(wrong, &kmreq, &mut Vec::new()).unwrap_err();
    assert_eq!(e.rule_id(), "srt.crypto.unwrap-integrity");
    // The offset is where the wrapped keys start in the message.
    assert_eq!(e.offset, 32);
}

#[test]
fn the_kmreq_we_build_for_libsrts_keys_is_libsrts_kmreq_byte_for_byte() {
    // The key wrap is deterministic: re-wrapping the unwrapped keys under the same KEK must
    // give libsrt's message back, which proves our KMREQs are what libsrt would send.
    for (datagrams, passphrase) in [
        (corpus_datagrams(CAPTURE), PASSPHRASE),
        (captures_datagrams(AES256_CAPTURE), AES256_PASSPHRASE),
    ] {
        let (kmreq, _) = kmreq_and_kmrsp(&datagrams);
        let km = KeyMaterial::parse(&kmreq).unwrap();
        let kek = Passphrase::new(passphrase)
            .unwrap()
            .kek(&km.salt, km.key_length);
        let keys = weir_srt::crypto::Keys::from_km(&km, &kek).unwrap();
        assert_eq!(keys.to_km(&kek).to_bytes(), kmreq);
    }
}

#[test]
fn libsrt_refuses_a_wrong_passphrase_where_our_unwrap_fails_too() {
    // Our recording of ffmpeg calling srt-live-transmit with the wrong passphrase: the
    // listener's only answer to the conclusion is a rejection, handshake type 1010
    // (1000 + SRT_REJ_BADSECRET), without a KMRSP.
    let handshakes = handshakes(&captures_datagrams("ffmpeg-slt-srt-badsecret.pcapng"));
    let kmreq = km_extension(&handshakes, true).expect("the caller's conclusion carries a KMREQ");
    let kmreq = &kmreq[..];
    assert_eq!(km_extension(&handshakes, false), None);
    assert_eq!(
        handshakes.last().unwrap().kind,
        HandshakeType::Rejection(RejectReason::BADSECRET)
    );
    // We refuse it for the same reason with the listener's passphrase, and accept it with
    // the caller's.
    let listener = Passphrase::new(AES256_PASSPHRASE).unwrap();
    let e = CryptoContext::responder(listener, kmreq, &mut Vec::new()).unwrap_err();
    assert_eq!(e.rule_id(), "srt.crypto.unwrap-integrity");
    let caller = Passphrase::new("not-the-right-passphrase").unwrap();
    assert!(CryptoContext::responder(caller, kmreq, &mut Vec::new()).is_ok());
}
