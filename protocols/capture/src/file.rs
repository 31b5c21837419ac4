//! A file read whole (a `.ts` file, a playlist) as the events of one pseudo-flow: opened
//! ([`Transport::File`], no addresses), the file's bytes as client→server data in pieces,
//! finished, closed with [`CloseReason::EndOfFile`]. Observers read it as they read a capture.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;

use super::flow::{CloseReason, Direction, Event, FlowEvent, FlowId, Transport};

/// Bytes read per data event.
const PIECE: usize = 1 << 20;

/// The pseudo-flow's number.
pub const FILE_FLOW: FlowId = FlowId(1);

/// The address a file's pseudo-flow shows for both ends: none.
pub const NO_ADDRESS: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);

/// The events of one file, streamed from `reader`.
pub struct FileEvents<R> {
    reader: R,
    offset: u64,
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Open,
    Data,
    Finish,
    Close,
    Done,
}

impl<R: Read> FileEvents<R> {
    pub fn new(reader: R) -> Self {
        FileEvents {
            reader,
            offset: 0,
            stage: Stage::Open,
        }
    }

    fn read_piece(&mut self) -> std::io::Result<Option<Bytes>> {
        let mut piece = vec![0; PIECE];
        let mut filled = 0;
        while filled < PIECE {
            match self.reader.read(&mut piece[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        piece.truncate(filled);
        Ok((filled > 0).then(|| Bytes::from(piece)))
    }
}

impl<R: Read> Iterator for FileEvents<R> {
    type Item = std::io::Result<Event>;

    fn next(&mut self) -> Option<Self::Item> {
        let flow = FILE_FLOW;
        let event = match self.stage {
            Stage::Open => {
                self.stage = Stage::Data;
                FlowEvent::Opened {
                    flow,
                    client: NO_ADDRESS,
                    server: NO_ADDRESS,
                    transport: Transport::File,
                    midstream: false,
                }
            }
            Stage::Data => match self.read_piece() {
                Ok(Some(bytes)) => {
                    let offset = self.offset;
                    self.offset += bytes.len() as u64;
                    FlowEvent::Data {
                        flow,
                        direction: Direction::ClientToServer,
                        offset,
                        bytes,
                    }
                }
                Ok(None) => {
                    self.stage = Stage::Close;
                    FlowEvent::Finished {
                        flow,
                        direction: Direction::ClientToServer,
                        offset: self.offset,
                    }
                }
                Err(e) => {
                    // The error, then the flow closed on what was read.
                    self.stage = Stage::Finish;
                    return Some(Err(e));
                }
            },
            Stage::Finish => {
                self.stage = Stage::Close;
                FlowEvent::Finished {
                    flow,
                    direction: Direction::ClientToServer,
                    offset: self.offset,
                }
            }
            Stage::Close => {
                self.stage = Stage::Done;
                FlowEvent::Closed {
                    flow,
                    reason: CloseReason::EndOfFile,
                }
            }
            Stage::Done => return None,
        };
        Some(Ok(Event {
            time: Duration::ZERO,
            packet: 0,
            event,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_opened_read_finished_and_closed() {
        let data = vec![7u8; PIECE + 10];
        let events: Vec<FlowEvent> = FileEvents::new(&data[..])
            .map(|e| e.unwrap().event)
            .collect();
        assert_eq!(events.len(), 5);
        assert!(matches!(
            events[0],
            FlowEvent::Opened {
                transport: Transport::File,
                ..
            }
        ));
        assert!(matches!(&events[2], FlowEvent::Data { offset, bytes, .. }
            if *offset == PIECE as u64 && bytes.len() == 10));
        assert!(
            matches!(events[3], FlowEvent::Finished { offset, .. } if offset == data.len() as u64)
        );
        assert!(matches!(
            events[4],
            FlowEvent::Closed {
                reason: CloseReason::EndOfFile,
                ..
            }
        ));
    }
}
