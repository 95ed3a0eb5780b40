//! Whether a new connection has started speaking HTTP, read from the bytes
//! it sent (after TLS): the HTTP/2 preface and the frame after it (the
//! client's SETTINGS), or the head of an HTTP/1.1 request (gRPC-Web). Until
//! then a connection is held to the handshake deadline (see
//! [`super::incoming`]); after it, HTTP/2 and TCP keepalive look after it.

/// The HTTP/2 client preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Length of an HTTP/2 frame header; its first three bytes are the
/// payload's length.
const FRAME_HEADER: usize = 9;

/// How far a connection got with its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Handshake {
    /// So many bytes of the HTTP/2 preface were read.
    Preface(usize),
    /// So many bytes of the first frame's header were read, and the
    /// payload length they give so far.
    FrameHeader { read: usize, length: u32 },
    /// So many bytes of the first frame's payload are still to come.
    FramePayload(u32),
    /// Not HTTP/2: an HTTP/1.1 request's head, which ends with an empty
    /// line; whether the last byte ended a line.
    Http1 { line_start: bool },
    /// Done.
    Done,
}

impl Handshake {
    /// Nothing read yet.
    pub(super) fn new() -> Self {
        Self::Preface(0)
    }

    /// Takes the next bytes the connection sent; true once the handshake is
    /// done.
    pub(super) fn read(&mut self, bytes: &[u8]) -> bool {
        for &byte in bytes {
            self.step(byte);
            if *self == Self::Done {
                return true;
            }
        }
        false
    }

    fn step(&mut self, byte: u8) {
        *self = match *self {
            Self::Preface(read) if PREFACE[read] == byte => match read + 1 {
                all if all == PREFACE.len() => Self::FrameHeader { read: 0, length: 0 },
                read => Self::Preface(read),
            },
            Self::Preface(read) => {
                // Not the preface: what was read starts an HTTP/1.1 request.
                let mut http1 = Self::Http1 { line_start: false };
                http1.read(&PREFACE[..read]);
                http1.step(byte);
                http1
            }
            Self::FrameHeader { read, length } => {
                let length = if read < 3 {
                    length << 8 | u32::from(byte)
                } else {
                    length
                };
                match (read + 1, length) {
                    (FRAME_HEADER, 0) => Self::Done,
                    (FRAME_HEADER, length) => Self::FramePayload(length),
                    (read, length) => Self::FrameHeader { read, length },
                }
            }
            Self::FramePayload(1) => Self::Done,
            Self::FramePayload(left) => Self::FramePayload(left - 1),
            Self::Http1 { line_start } => match byte {
                b'\n' if line_start => Self::Done,
                b'\n' => Self::Http1 { line_start: true },
                b'\r' => Self::Http1 { line_start },
                _ => Self::Http1 { line_start: false },
            },
            Self::Done => Self::Done,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `bytes`, read in chunks of `chunk`, complete a handshake.
    fn completes(bytes: &[u8], chunk: usize) -> bool {
        let mut handshake = Handshake::new();
        bytes.chunks(chunk).any(|chunk| handshake.read(chunk))
    }

    /// The preface and a SETTINGS frame with one setting.
    fn http2_start() -> Vec<u8> {
        let mut bytes = PREFACE.to_vec();
        bytes.extend_from_slice(&[0, 0, 6, 0x4, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[0, 3, 0, 0, 0, 100]);
        bytes
    }

    #[test]
    fn http2_is_started_by_the_preface_and_a_whole_first_frame() {
        let start = http2_start();
        for chunk in [1, 5, start.len()] {
            assert!(completes(&start, chunk));
            assert!(!completes(&start[..start.len() - 1], chunk));
        }
        let empty_settings = [PREFACE, &[0, 0, 0, 0x4, 0, 0, 0, 0, 0]].concat();
        assert!(completes(&empty_settings, 1));
        assert!(!completes(PREFACE, 1));
        assert!(!completes(&PREFACE[..12], 1));
    }

    #[test]
    fn http1_is_started_by_a_whole_request_head() {
        let head = b"POST /stepwise.v1.GoalService/ListGoals HTTP/1.1\r\nHost: a\r\n\r\n";
        for chunk in [1, 7, head.len()] {
            assert!(completes(head, chunk));
            assert!(!completes(&head[..head.len() - 1], chunk));
        }
        assert!(completes(b"GET / HTTP/1.1\n\n", 1));
        assert!(!completes(b"GET / HTTP/1.1\r\nHost: a\r\n", 1));
        // A request that starts like the preface and then is not it.
        assert!(completes(b"PRI * HTTP/2.0\r\n\r\nXY", 1));
        assert!(!completes(b"PRI * HTTX", 1));
    }
}
