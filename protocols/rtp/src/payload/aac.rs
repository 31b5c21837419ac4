//! AAC over RTP (RFC 3640, mode AAC-hbr §3.3.6): an AU header section — its length in bits,
//! then a 13-bit size and 3-bit index per access unit — before the access units; several
//! whole AUs in one packet, or one AU fragmented over packets of one timestamp with the
//! marker on the last (§3.2.3). The `config` parameter is the AudioSpecificConfig in hex (§4.1).

use super::{
    Clock, Damaged, Depacketize, FromSession, Grouping, Packetize, Payload, Received, Unit, Units,
};
use crate::format::Format;
use crate::rules::{AAC_AU_HEADERS, AAC_AU_SIZE, AAC_CONFIG};
use weir_media::bits::BitReader;
use weir_media::{AudioSpecificConfig, Codec, Error, Track, TrackConfig};

/// AAC-hbr's AU header field widths (§3.3.6): sizeLength, indexLength, indexDeltaLength.
const HBR: (u32, u32, u32) = (13, 3, 3);

/// Both directions.
#[derive(Debug)]
pub struct Aac {
    clock: Clock,
    /// Samples per access unit (1024, or 960 by the configuration's frameLengthFlag).
    samples: i64,
    /// The configuration, and what was wrong with the session's parameters.
    session: FromSession,
    /// Packets were lost before this group (or it is the stream's first): an AU whose
    /// fragments fall short may have lost its first ones, which is no fault of the sender.
    after_loss: bool,
    data: Vec<u8>,
}

fn hex(s: &str) -> Option<Vec<u8>> {
    s.len().is_multiple_of(2).then_some(())?;
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Aac {
    /// A payload format for `format`: its `config` and AU header widths.
    pub fn new(format: &Format, clock: Clock) -> Self {
        let mut problems = Vec::new();
        let widths = [
            ("sizelength", HBR.0),
            ("indexlength", HBR.1),
            ("indexdeltalength", HBR.2),
        ];
        for (key, width) in widths {
            if format.param(key) != Some(&width.to_string()) {
                problems.push(format!(
                    "{key}={:?} where AAC-hbr has {width}",
                    format.param(key)
                ));
            }
        }
        let config = format.param("config").and_then(hex);
        let parsed = config.as_deref().map(AudioSpecificConfig::parse);
        let samples = match &parsed {
            Some(Ok(asc)) if asc.ga.as_ref().is_some_and(|g| g.frame_length_960) => 960,
            Some(Ok(_)) => 1024,
            Some(Err(e)) => {
                problems.push(format!("config: {e}"));
                1024
            }
            None => {
                problems.push("no config=<AudioSpecificConfig in hex>".into());
                1024
            }
        };
        let config = match parsed {
            Some(Ok(_)) => config.map(|data| TrackConfig {
                track: Track::AUDIO,
                codec: Codec::Aac,
                data: data.into(),
            }),
            _ => None,
        };
        Aac {
            clock,
            samples,
            session: FromSession {
                config,
                problem: (!problems.is_empty()).then(|| (&AAC_CONFIG, problems.join("; "))),
            },
            after_loss: true,
            data: Vec::new(),
        }
    }
}

/// The AU sizes of a packet's AU header section, and where its AU data begins.
fn au_headers(p: &[u8]) -> Result<(Vec<usize>, usize), String> {
    let [a, b, ..] = *p else {
        return Err("no AU-headers-length field".into());
    };
    let bits = usize::from(u16::from_be_bytes([a, b]));
    let per = (HBR.0 + HBR.1) as usize;
    if bits == 0 || bits % per != 0 {
        return Err(format!(
            "AU-headers-length {bits} is not a whole number of 16-bit AU headers"
        ));
    }
    let start = 2 + bits.div_ceil(8);
    let section = p
        .get(2..start)
        .ok_or_else(|| format!("{bits} bits of AU headers in a {}-byte payload", p.len()))?;
    let mut r = BitReader::new(section, &AAC_AU_HEADERS);
    let mut sizes = Vec::with_capacity(bits / per);
    for i in 0..bits / per {
        let size = r.u(HBR.0, "AU-size").map_err(|e| e.to_string())?;
        let index = r.u(HBR.1, "AU-Index").map_err(|e| e.to_string())?;
        if index != 0 {
            let field = if i == 0 { "AU-Index" } else { "AU-Index-delta" };
            return Err(format!("{field} {index}: interleaving is not supported"));
        }
        sizes.push(size as usize);
    }
    Ok((sizes, start))
}

impl Depacketize for Aac {
    fn grouping(&self) -> Grouping {
        Grouping::Frame
    }

    /// A fragment cannot be told from the first one by its bytes: every packet may start
    /// a frame, and a group whose fragments fall short after a loss is dropped quietly.
    fn starts_frame(&self, _packet: &crate::RtpPacket) -> bool {
        true
    }

    fn lost(&mut self) {
        self.after_loss = true;
    }

    fn depacketize(&mut self, group: &[Received], units: &mut Units) -> Result<(), Damaged> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        self.session.announce(first, units);
        let after_loss = std::mem::take(&mut self.after_loss);
        let time = |i: usize| self.clock.time(first.ticks + i as i64 * self.samples);
        let mut frames = Vec::new();
        self.data.clear();
        let mut fragment_size = None;
        for r in group {
            let p = &r.packet.payload;
            let (sizes, start) = au_headers(p).map_err(|detail| {
                units.violation(&AAC_AU_HEADERS, r, detail.clone());
                Damaged(detail)
            })?;
            let data = &p[start..];
            let total: usize = sizes.iter().sum();
            if group.len() == 1 && total == data.len() {
                let mut at = 0;
                for size in sizes {
                    frames.push(p.slice(start + at..start + at + size));
                    at += size;
                }
                continue;
            }
            // A fragment: one AU header giving the whole AU's size, the same in each packet.
            let size = match sizes[..] {
                [size]
                    if fragment_size.is_none_or(|s| s == size)
                        && size >= self.data.len() + data.len() =>
                {
                    size
                }
                [_] if after_loss && fragment_size.is_none() => {
                    return Err(Damaged(
                        "the AU's first fragments may have been lost".into(),
                    ));
                }
                _ => {
                    let detail = format!(
                        "AU sizes {sizes:?} for {} bytes of AU data, {} of them already gathered",
                        data.len(),
                        self.data.len()
                    );
                    units.violation(&AAC_AU_SIZE, r, detail.clone());
                    return Err(Damaged(detail));
                }
            };
            fragment_size = Some(size);
            self.data.extend_from_slice(data);
        }
        if let Some(size) = fragment_size {
            if self.data.len() != size {
                if after_loss {
                    return Err(Damaged(
                        "the AU's first fragments may have been lost".into(),
                    ));
                }
                let detail = format!("an AU of {size} bytes ends after {}", self.data.len());
                let last = group.last().unwrap_or(first);
                units.violation(&AAC_AU_SIZE, last, detail.clone());
                return Err(Damaged(detail));
            }
            frames.push(std::mem::take(&mut self.data).into());
        }
        for (i, data) in frames.into_iter().enumerate() {
            units.push(super::frame(Codec::Aac, time(i), true, data));
        }
        Ok(())
    }
}

impl Packetize for Aac {
    /// One AU per packet, fragmented when it does not fit, each packet with one AU header.
    fn packetize(
        &mut self,
        unit: &Unit,
        max_payload: usize,
        out: &mut Vec<Payload>,
    ) -> Result<(), Error> {
        let Some(f) = super::frame_of("AAC", unit)? else {
            return Ok(());
        };
        let size = f.data.len();
        if size >= 1 << HBR.0 {
            return Err(Error::usage(format!(
                "a {size}-byte AAC frame does not fit AAC-hbr's 13-bit AU-size"
            )));
        }
        let header = |_: bool, _: bool, out: &mut Vec<u8>| {
            out.extend_from_slice(&[0, 16, (size >> 5) as u8, ((size & 0x1f) << 3) as u8]);
        };
        super::spread("AAC", &f.data, 4, max_payload, header, out)
    }
}
