//! AAC: the AudioSpecificConfig of ISO/IEC 14496-3 §1.6.2.1 (what FLV and MP4 carry as the
//! AAC sequence header), with the GASpecificConfig of §4.4.1 and SBR/PS signalling (§1.6.5).

use crate::Error;
use crate::bits::{BitReader, BitWriter};
use crate::rules::{AAC_CONFIG_SYNTAX, AAC_OBJECT_TYPE, AAC_SAMPLING_INDEX};

/// Sampling frequencies by `samplingFrequencyIndex` (§1.6.3.4, Table 1.18).
pub const SAMPLING_FREQUENCIES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// Audio object types (§1.5.1.1, Table 1.17) this module names.
pub mod object_type {
    /// AAC Main.
    pub const AAC_MAIN: u8 = 1;
    /// AAC LC (Low Complexity), the core of HE-AAC and HE-AACv2 too.
    pub const AAC_LC: u8 = 2;
    /// AAC SSR (Scalable Sample Rate).
    pub const AAC_SSR: u8 = 3;
    /// AAC LTP (Long Term Prediction).
    pub const AAC_LTP: u8 = 4;
    /// SBR (Spectral Band Replication): HE-AAC in explicit hierarchical signalling.
    pub const SBR: u8 = 5;
    /// PS (Parametric Stereo): HE-AACv2 in explicit hierarchical signalling.
    pub const PS: u8 = 29;
    /// ER AAC LD (Low Delay).
    pub const ER_AAC_LD: u8 = 23;
    /// ER AAC ELD (Enhanced Low Delay).
    pub const ER_AAC_ELD: u8 = 39;
}

/// A sampling frequency as the config codes it: a table index, or explicitly (index 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamplingFrequency {
    /// An index into [`SAMPLING_FREQUENCIES`] (0-12).
    Index(u8),
    /// An explicit 24-bit frequency in Hz.
    Explicit(u32),
}

impl SamplingFrequency {
    /// The frequency in Hz; 0 for an index outside the table.
    pub fn hz(self) -> u32 {
        match self {
            SamplingFrequency::Index(i) => SAMPLING_FREQUENCIES
                .get(usize::from(i))
                .copied()
                .unwrap_or(0),
            SamplingFrequency::Explicit(hz) => hz,
        }
    }

    /// The table index for this frequency, if the table has it.
    pub fn index(self) -> Option<u8> {
        match self {
            SamplingFrequency::Index(i) => Some(i),
            SamplingFrequency::Explicit(hz) => SAMPLING_FREQUENCIES
                .iter()
                .position(|&f| f == hz)
                .map(|i| i as u8),
        }
    }

    fn read(r: &mut BitReader<'_>, field: &str) -> Result<Self, Error> {
        match r.u(4, field)? as u8 {
            15 => Ok(SamplingFrequency::Explicit(r.u(24, "samplingFrequency")?)),
            i @ 13..=14 => {
                Err(r.error_with(&AAC_SAMPLING_INDEX, format!("{field} {i} is reserved")))
            }
            i => Ok(SamplingFrequency::Index(i)),
        }
    }

    fn write(self, w: &mut BitWriter) -> Result<(), Error> {
        match self {
            SamplingFrequency::Index(i) if i < 13 => w.put(4, i.into()),
            SamplingFrequency::Explicit(hz) if hz < 1 << 24 => {
                w.put(4, 15);
                w.put(24, hz.into());
            }
            other => {
                return Err(Error::rule(
                    &AAC_SAMPLING_INDEX,
                    (w.position() / 8) as u64,
                    format!("{other:?} cannot be encoded"),
                ));
            }
        }
        Ok(())
    }
}

/// How the config signals Spectral Band Replication (HE-AAC) and Parametric Stereo (HE-AACv2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbrSignalling {
    /// Explicit hierarchical signalling: the config starts with object type 5 (SBR) or 29
    /// (PS) and the output sampling frequency, then names the core object type (§1.6.5.2).
    Hierarchical {
        /// Object type 29 (PS, HE-AACv2) rather than 5 (SBR only).
        ps: bool,
        /// `extensionSamplingFrequency`: the output sampling frequency, after SBR.
        sampling: SamplingFrequency,
    },
    /// Backward-compatible signalling: a sync extension (0x2B7) after the core config says
    /// whether SBR is present, at which output frequency, and (0x548) whether PS is.
    BackwardCompatible {
        /// `extensionSamplingFrequency` when `sbrPresentFlag` is set; `None` when the extension
        /// says SBR is absent.
        sbr: Option<SamplingFrequency>,
        /// `psPresentFlag` of the 0x548 sync extension.
        ps: bool,
    },
}

/// AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// The core audio object type (2 for AAC-LC, also under SBR/PS).
    pub object_type: u8,
    /// The core sampling frequency.
    pub sampling: SamplingFrequency,
    /// `channelConfiguration` (0: a program config element says).
    pub channel_configuration: u8,
    /// SBR/PS signalling (§1.6.5), `None` when the config signals neither.
    pub sbr: Option<SbrSignalling>,
    /// GASpecificConfig (§4.4.1) for the AAC object types 1-4, 6 and 7 with a channel
    /// configuration; `None` when the config continues in a form kept in `rest`.
    pub ga: Option<GaSpecificConfig>,
    /// Bits this module does not model (a program config element, ER and non-AAC configs),
    /// kept so that the config is written back unchanged; zero padding is not kept.
    pub rest: Bits,
}

/// GASpecificConfig (§4.4.1) without a program config element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GaSpecificConfig {
    /// `frameLengthFlag`: 960-sample frames instead of 1024.
    pub frame_length_960: bool,
    /// `coreCoderDelay` when `dependsOnCoreCoder` is set (14 bits).
    pub core_coder_delay: Option<u16>,
    /// `layerNr` of the scalable object type 6 (3 bits).
    pub layer_nr: Option<u8>,
    /// `extensionFlag3` when `extensionFlag` is set.
    pub extension_flag3: Option<bool>,
}

/// A bit string: `len` bits, most significant first, in `bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bits {
    /// The bits, packed from the first byte's most significant bit; bits past `len` are zero.
    pub bytes: Vec<u8>,
    /// Number of bits in the string.
    pub len: usize,
}

fn is_ga_with_modelled_config(object_type: u8) -> bool {
    matches!(object_type, 1..=4 | 6 | 7)
}

fn read_object_type(r: &mut BitReader<'_>) -> Result<u8, Error> {
    let object_type = match r.u(5, "audioObjectType")? as u8 {
        31 => 32 + r.u(6, "audioObjectTypeExt")? as u8,
        t => t,
    };
    if object_type == 0 {
        return Err(r.error_with(&AAC_OBJECT_TYPE, "audioObjectType is 0 (null object)"));
    }
    Ok(object_type)
}

fn write_object_type(w: &mut BitWriter, object_type: u8) -> Result<(), Error> {
    match object_type {
        1..=30 => w.put(5, object_type.into()),
        32..=95 => {
            w.put(5, 31);
            w.put(6, u64::from(object_type - 32));
        }
        _ => {
            return Err(Error::rule(
                &AAC_OBJECT_TYPE,
                (w.position() / 8) as u64,
                format!("audio object type {object_type} cannot be encoded"),
            ));
        }
    }
    Ok(())
}

impl AudioSpecificConfig {
    /// A plain AAC config: no SBR, 1024-sample frames.
    pub fn new(object_type: u8, sampling: SamplingFrequency, channel_configuration: u8) -> Self {
        AudioSpecificConfig {
            object_type,
            sampling,
            channel_configuration,
            sbr: None,
            ga: is_ga_with_modelled_config(object_type).then(GaSpecificConfig::default),
            rest: Bits::default(),
        }
    }

    /// Parses an AudioSpecificConfig; errors name [`AAC_CONFIG_SYNTAX`] (truncated),
    /// [`AAC_OBJECT_TYPE`] (object type 0) or [`AAC_SAMPLING_INDEX`] (reserved index).
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let mut r = BitReader::new(data, &AAC_CONFIG_SYNTAX);
        let mut object_type = read_object_type(&mut r)?;
        let sampling = SamplingFrequency::read(&mut r, "samplingFrequencyIndex")?;
        let channel_configuration = r.u(4, "channelConfiguration")? as u8;
        let mut sbr = None;
        if matches!(object_type, object_type::SBR | object_type::PS) {
            let ps = object_type == object_type::PS;
            let output = SamplingFrequency::read(&mut r, "extensionSamplingFrequencyIndex")?;
            sbr = Some(SbrSignalling::Hierarchical {
                ps,
                sampling: output,
            });
            object_type = read_object_type(&mut r)?;
        }
        let mut ga = None;
        if is_ga_with_modelled_config(object_type) && channel_configuration != 0 {
            let frame_length_960 = r.flag("frameLengthFlag")?;
            let core_coder_delay = if r.flag("dependsOnCoreCoder")? {
                Some(r.u(14, "coreCoderDelay")? as u16)
            } else {
                None
            };
            let extension = r.flag("extensionFlag")?;
            let layer_nr = if object_type == 6 {
                Some(r.u(3, "layerNr")? as u8)
            } else {
                None
            };
            let extension_flag3 = if extension {
                Some(r.flag("extensionFlag3")?)
            } else {
                None
            };
            ga = Some(GaSpecificConfig {
                frame_length_960,
                core_coder_delay,
                layer_nr,
                extension_flag3,
            });
            if sbr.is_none() && r.bits_left() >= 16 {
                let mut probe = r.clone();
                if probe.u(11, "syncExtensionType")? == 0x2b7 {
                    sbr = read_backward_compatible(&mut probe)?;
                    if sbr.is_some() {
                        r = probe;
                    }
                }
            }
        }
        let rest = take_rest(&mut r)?;
        Ok(AudioSpecificConfig {
            object_type,
            sampling,
            channel_configuration,
            sbr,
            ga,
            rest,
        })
    }

    /// Writes the config, padded with zero bits to a whole byte.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut w = BitWriter::new();
        match self.sbr {
            Some(SbrSignalling::Hierarchical { ps, sampling }) => {
                w.put(5, if ps { 29 } else { 5 });
                self.sampling.write(&mut w)?;
                self.write_channels(&mut w)?;
                sampling.write(&mut w)?;
                write_object_type(&mut w, self.object_type)?;
            }
            _ => {
                write_object_type(&mut w, self.object_type)?;
                self.sampling.write(&mut w)?;
                self.write_channels(&mut w)?;
            }
        }
        if let Some(ga) = &self.ga {
            w.flag(ga.frame_length_960);
            w.flag(ga.core_coder_delay.is_some());
            if let Some(delay) = ga.core_coder_delay {
                w.put(14, delay.into());
            }
            w.flag(ga.extension_flag3.is_some());
            if self.object_type == 6 {
                w.put(3, ga.layer_nr.unwrap_or(0).into());
            }
            if let Some(flag3) = ga.extension_flag3 {
                w.flag(flag3);
            }
        }
        if let Some(SbrSignalling::BackwardCompatible { sbr, ps }) = self.sbr {
            w.put(11, 0x2b7);
            w.put(5, object_type::SBR.into());
            w.flag(sbr.is_some());
            if let Some(sampling) = sbr {
                sampling.write(&mut w)?;
                if ps {
                    w.put(11, 0x548);
                    w.flag(true);
                }
            }
        }
        for i in 0..self.rest.len {
            let byte = self.rest.bytes.get(i / 8).copied().unwrap_or(0);
            w.put(1, u64::from(byte >> (7 - i % 8)));
        }
        Ok(w.finish())
    }

    fn write_channels(&self, w: &mut BitWriter) -> Result<(), Error> {
        if self.channel_configuration > 15 {
            return Err(Error::rule(
                &AAC_CONFIG_SYNTAX,
                (w.position() / 8) as u64,
                "channelConfiguration above 15",
            ));
        }
        w.put(4, self.channel_configuration.into());
        Ok(())
    }

    /// The sampling frequency a decoder outputs: the SBR frequency when SBR is present.
    pub fn output_sample_rate(&self) -> u32 {
        match self.sbr {
            Some(SbrSignalling::Hierarchical { sampling, .. })
            | Some(SbrSignalling::BackwardCompatible {
                sbr: Some(sampling),
                ..
            }) => sampling.hz(),
            _ => self.sampling.hz(),
        }
    }

    /// Whether SBR (HE-AAC) is signalled present.
    pub fn has_sbr(&self) -> bool {
        matches!(
            self.sbr,
            Some(SbrSignalling::Hierarchical { .. })
                | Some(SbrSignalling::BackwardCompatible { sbr: Some(_), .. })
        )
    }

    /// Whether Parametric Stereo (HE-AACv2) is signalled present.
    pub fn has_ps(&self) -> bool {
        matches!(
            self.sbr,
            Some(SbrSignalling::Hierarchical { ps: true, .. })
                | Some(SbrSignalling::BackwardCompatible {
                    sbr: Some(_),
                    ps: true
                })
        )
    }

    /// Output channels (Table 1.19; PS makes mono stereo); `None` when a program config
    /// element or a reserved configuration decides.
    pub fn channels(&self) -> Option<u8> {
        let channels = match self.channel_configuration {
            c @ 1..=6 => c,
            7 | 12 | 14 => 8,
            11 => 7,
            13 => 24,
            _ => return None,
        };
        Some(if self.has_ps() && channels == 1 {
            2
        } else {
            channels
        })
    }

    /// Samples per frame of the core codec (before SBR doubles them).
    pub fn frame_samples(&self) -> u32 {
        match self.ga {
            Some(GaSpecificConfig {
                frame_length_960: true,
                ..
            }) => 960,
            _ => 1024,
        }
    }

    /// The profile name as FFmpeg prints it ("LC", "HE-AAC", "HE-AACv2", "Main", ...).
    pub fn profile_name(&self) -> Option<&'static str> {
        if self.has_ps() {
            return Some("HE-AACv2");
        }
        if self.has_sbr() {
            return Some("HE-AAC");
        }
        Some(match self.object_type {
            object_type::AAC_MAIN => "Main",
            object_type::AAC_LC => "LC",
            object_type::AAC_SSR => "SSR",
            object_type::AAC_LTP => "LTP",
            object_type::ER_AAC_LD => "LD",
            object_type::ER_AAC_ELD => "ELD",
            _ => return None,
        })
    }
}

/// Reads the rest of a backward-compatible SBR extension after its 0x2B7 sync word; `None`
/// when it names another extension object type (left to `rest`).
fn read_backward_compatible(r: &mut BitReader<'_>) -> Result<Option<SbrSignalling>, Error> {
    if read_object_type(r)? != object_type::SBR {
        return Ok(None);
    }
    if !r.flag("sbrPresentFlag")? {
        return Ok(Some(SbrSignalling::BackwardCompatible {
            sbr: None,
            ps: false,
        }));
    }
    let sampling = SamplingFrequency::read(r, "extensionSamplingFrequencyIndex")?;
    let mut ps = false;
    if r.bits_left() >= 12 {
        let mut probe = r.clone();
        if probe.u(11, "syncExtensionType")? == 0x548 {
            ps = probe.flag("psPresentFlag")?;
            if ps {
                *r = probe;
            }
        }
    }
    Ok(Some(SbrSignalling::BackwardCompatible {
        sbr: Some(sampling),
        ps,
    }))
}

/// The remaining bits, or nothing when they are only the zero padding of the last byte.
fn take_rest(r: &mut BitReader<'_>) -> Result<Bits, Error> {
    let len = r.bits_left();
    let mut w = BitWriter::new();
    let mut any_set = false;
    for _ in 0..len {
        let bit = r.flag("rest")?;
        any_set |= bit;
        w.flag(bit);
    }
    if len < 8 && !any_set {
        return Ok(Bits::default());
    }
    Ok(Bits {
        bytes: w.finish(),
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avc::tests::hex;
    use proptest::prelude::*;

    #[test]
    fn parses_plain_lc() {
        // avatar.flv: AAC-LC 44100 Hz stereo (ffprobe).
        let asc = AudioSpecificConfig::parse(&[0x12, 0x10]).unwrap();
        assert_eq!(
            asc,
            AudioSpecificConfig::new(2, SamplingFrequency::Index(4), 2)
        );
        assert_eq!(
            (asc.output_sample_rate(), asc.channels(), asc.profile_name()),
            (44100, Some(2), Some("LC"))
        );
        assert_eq!(asc.to_bytes().unwrap(), [0x12, 0x10]);
    }

    #[test]
    fn parses_backward_compatible_sbr_absent() {
        // avc_aac.flv: LC 48000 Hz stereo with a sync extension saying "no SBR" (ffprobe: LC).
        let bytes = hex("119056e500");
        let asc = AudioSpecificConfig::parse(&bytes).unwrap();
        assert_eq!(
            asc.sbr,
            Some(SbrSignalling::BackwardCompatible {
                sbr: None,
                ps: false
            })
        );
        assert_eq!(
            (asc.output_sample_rate(), asc.channels(), asc.profile_name()),
            (48000, Some(2), Some("LC"))
        );
        assert_eq!(asc.rest, Bits::default());
        assert_eq!(asc.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn parses_hierarchical_he_aac_and_v2() {
        // HE-AAC: SBR at 44100 Hz over a 22050 Hz AAC-LC stereo core.
        let asc = AudioSpecificConfig::parse(&hex("2b920800")).unwrap();
        assert_eq!(asc.object_type, object_type::AAC_LC);
        assert_eq!(asc.sampling, SamplingFrequency::Index(7));
        assert_eq!(
            asc.sbr,
            Some(SbrSignalling::Hierarchical {
                ps: false,
                sampling: SamplingFrequency::Index(4)
            })
        );
        assert_eq!(
            (asc.output_sample_rate(), asc.channels(), asc.profile_name()),
            (44100, Some(2), Some("HE-AAC"))
        );
        assert_eq!(asc.to_bytes().unwrap(), hex("2b920800"));
        // HE-AACv2: PS turns a mono 24000 Hz core into 48000 Hz stereo.
        let asc = AudioSpecificConfig::parse(&hex("eb098800")).unwrap();
        assert_eq!((asc.channel_configuration, asc.sampling.hz()), (1, 24000));
        assert_eq!(
            (asc.output_sample_rate(), asc.channels(), asc.profile_name()),
            (48000, Some(2), Some("HE-AACv2"))
        );
        assert_eq!(asc.to_bytes().unwrap(), hex("eb098800"));
    }

    #[test]
    fn escape_object_type_explicit_frequency_and_rest() {
        // Object type 42 (USAC, escaped), explicit 50000 Hz, channel configuration 0, then
        // bits this module does not model.
        let mut w = BitWriter::new();
        w.put(5, 31);
        w.put(6, 10);
        w.put(4, 15);
        w.put(24, 50_000);
        w.put(4, 0);
        w.put(13, 0x1abc);
        let bytes = w.finish();
        let asc = AudioSpecificConfig::parse(&bytes).unwrap();
        assert_eq!(asc.object_type, 42);
        assert_eq!(asc.sampling, SamplingFrequency::Explicit(50_000));
        assert_eq!((asc.ga, asc.channels(), asc.rest.len), (None, None, 13));
        assert_eq!(asc.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn errors_name_rules() {
        assert_eq!(
            AudioSpecificConfig::parse(&[0x00, 0x10])
                .unwrap_err()
                .rule_id(),
            "media.aac.object-type"
        );
        let e = AudioSpecificConfig::parse(&[0x16, 0x90]).unwrap_err();
        assert_eq!(e.rule_id(), "media.aac.sampling-index", "{e}");
        assert_eq!(
            AudioSpecificConfig::parse(&[0x12]).unwrap_err().rule_id(),
            "media.aac.config-syntax"
        );
        assert_eq!(
            AudioSpecificConfig::parse(&[]).unwrap_err().rule_id(),
            "media.aac.config-syntax"
        );
    }

    fn sampling() -> impl Strategy<Value = SamplingFrequency> {
        prop_oneof![
            (0u8..13).prop_map(SamplingFrequency::Index),
            (0u32..1 << 24).prop_map(SamplingFrequency::Explicit)
        ]
    }

    prop_compose! {
        fn config()(
            object_type in prop_oneof![1u8..5, 6u8..8, 8u8..29, 30u8..31, 32u8..96],
            sampling in sampling(),
            channel_configuration in 0u8..16,
            ga in (any::<bool>(), proptest::option::of(0u16..1 << 14), 0u8..8, proptest::option::of(any::<bool>())),
            sbr in proptest::option::of((any::<bool>(), sampling(), proptest::option::of(sampling()), any::<bool>())),
        ) -> AudioSpecificConfig {
            let mut asc = AudioSpecificConfig::new(object_type, sampling, channel_configuration);
            let modelled = is_ga_with_modelled_config(object_type) && channel_configuration != 0;
            asc.ga = modelled.then_some(GaSpecificConfig {
                frame_length_960: ga.0,
                core_coder_delay: ga.1,
                layer_nr: (object_type == 6).then_some(ga.2),
                extension_flag3: ga.3,
            });
            asc.sbr = match sbr {
                Some((true, output, ..)) => Some(SbrSignalling::Hierarchical { ps: object_type % 2 == 0, sampling: output }),
                Some((false, _, output, ps)) if modelled => {
                    Some(SbrSignalling::BackwardCompatible { sbr: output, ps: ps && output.is_some() })
                }
                _ => None,
            };
            asc
        }
    }

    proptest! {
        #[test]
        fn parse_write_round_trip(asc in config()) {
            let bytes = asc.to_bytes().unwrap();
            prop_assert_eq!(AudioSpecificConfig::parse(&bytes).unwrap(), asc);
        }

        #[test]
        fn no_panic_and_canonical_rewrite(data in proptest::collection::vec(any::<u8>(), 0..24)) {
            if let Ok(asc) = AudioSpecificConfig::parse(&data) {
                let _ = (asc.channels(), asc.profile_name(), asc.output_sample_rate());
                let bytes = asc.to_bytes().unwrap();
                prop_assert_eq!(AudioSpecificConfig::parse(&bytes).unwrap(), asc);
            }
        }
    }
}
