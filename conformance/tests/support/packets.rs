//! Hand-built packets for capture tests: IPv4, IPv6, UDP and TCP headers, Ethernet frames
//! (with an 802.1Q tag) and pcapng blocks. Checksums are left 0: the reader does not check
//! them, and tshark reads the files all the same.

pub fn be16(v: u16) -> [u8; 2] {
    v.to_be_bytes()
}

pub fn ipv4(
    protocol: u8,
    src: [u8; 4],
    dst: [u8; 4],
    id: u16,
    frag: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = vec![0x45, 0];
    out.extend(be16(20 + payload.len() as u16));
    out.extend(be16(id));
    out.extend(be16(frag));
    out.extend([64, protocol, 0, 0]);
    out.extend(src);
    out.extend(dst);
    out.extend(payload);
    out
}

pub fn ipv6(next: u8, src_last: u8, dst_last: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x60, 0, 0, 0];
    out.extend(be16(payload.len() as u16));
    out.extend([next, 64]);
    out.extend([
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, src_last,
    ]);
    out.extend([
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, dst_last,
    ]);
    out.extend(payload);
    out
}

pub fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(be16(src));
    out.extend(be16(dst));
    out.extend(be16(8 + payload.len() as u16));
    out.extend([0, 0]);
    out.extend(payload);
    out
}

pub fn tcp(src: u16, dst: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(be16(src));
    out.extend(be16(dst));
    out.extend(seq.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    out.extend(payload);
    out
}

pub const MACS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

pub fn ethernet(vlan: Option<u16>, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = MACS.to_vec();
    if let Some(vid) = vlan {
        out.extend(be16(0x8100));
        out.extend(be16(vid));
    }
    out.extend(be16(ethertype));
    out.extend(payload);
    out
}

pub fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = (body.len() + 12) as u32;
    let mut out = kind.to_le_bytes().to_vec();
    out.extend(len.to_le_bytes());
    out.extend(body);
    out.extend(len.to_le_bytes());
    out
}

pub fn interface(link_type: u16, tsresol: Option<u8>) -> Vec<u8> {
    let mut body = link_type.to_le_bytes().to_vec();
    body.extend([0, 0]);
    body.extend(65535u32.to_le_bytes());
    if let Some(r) = tsresol {
        body.extend([9, 0, 1, 0, r, 0, 0, 0]);
        body.extend([0, 0, 0, 0]);
    }
    block(1, &body)
}

pub fn packet(interface: u32, units: u64, data: &[u8]) -> Vec<u8> {
    let mut body = interface.to_le_bytes().to_vec();
    body.extend(((units >> 32) as u32).to_le_bytes());
    body.extend((units as u32).to_le_bytes());
    body.extend((data.len() as u32).to_le_bytes());
    body.extend((data.len() as u32).to_le_bytes());
    body.extend(data);
    block(6, &body)
}

/// A pcapng file with one Ethernet interface (microseconds) holding `frames`, one every
/// millisecond.
pub fn ethernet_capture(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend((-1i64).to_le_bytes());
    let mut file = block(0x0A0D_0D0A, &shb);
    file.extend(interface(1, None));
    let t0 = 1_700_000_000_000_000u64;
    for (i, frame) in frames.iter().enumerate() {
        file.extend(packet(0, t0 + 1000 * i as u64, frame));
    }
    file
}
