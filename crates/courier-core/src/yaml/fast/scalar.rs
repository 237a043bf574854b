//! The scalars of the fast reader: plain, quoted and block scalars, where each ends, and
//! their values; and the check that a text is one this reader takes at all.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

use super::{Fast, Frame, Step, Unsure};

/// Whether every byte is printable ASCII or a line break, eight bytes at a time: a byte by
/// byte check was a tenth of reading a large collection.
pub(super) fn plain_ascii(bytes: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // Per byte, for bytes below 0x80 (checked first): the high bit set where the byte is not
    // zero, computed without carries between bytes.
    let nonzero = |x: u64| ((x & !HI) + 0x7f * LO) & HI;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        if x & HI != 0 {
            return false;
        }
        // `(x | HI) - 0x20 * LO` keeps the high bit where the byte is 0x20 or more.
        let control = !((x | HI) - 0x20 * LO) & HI;
        let not_newline = nonzero(x ^ (u64::from(b'\n') * LO));
        let delete = !nonzero(x ^ (0x7f * LO)) & HI;
        if (control & not_newline) | delete != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| (b' '..0x7f).contains(&b) || b == b'\n')
}

/// The bytes a plain scalar must look at: in a block, and in a flow collection.
const BLOCK_STOPS: [bool; 256] = stops(b"\n :-");
const FLOW_STOPS: [bool; 256] = stops(b"\n :-,[]{}");

const fn stops(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

impl<'a> Fast<'a> {
    /// A literal (`|`) or folded (`>`) scalar, with an optional `-` or `+`, whose lines all
    /// share the first one's indentation (a folded scalar's) or indent at least as much (a
    /// literal's). An indentation digit, blank lines before the first line, lines of spaces
    /// only, and the text ending inside the scalar are saphyr's.
    pub(super) fn block_scalar(&mut self) -> Step<'a> {
        let parent = match self.frames.last() {
            Some(Frame::Map { indent, .. } | Frame::Seq { indent, .. }) => *indent,
            _ => return Err(Unsure),
        };
        let folded = self.bytes[self.pos] == b'>';
        let chomp = self.byte(self.pos + 1).filter(|c| matches!(c, b'-' | b'+'));
        self.pos += 1 + usize::from(chomp.is_some());
        if !self.sep(self.pos) {
            return Err(Unsure);
        }
        self.end_line()?;
        if self.byte(self.pos) != Some(b'\n') {
            return Err(Unsure);
        }
        self.enter_line(self.pos + 1);
        let mut indent = None;
        let mut any = false;
        let mut blanks = 0usize;
        let mut out = String::new();
        let start = self.pos;
        let (start_line, start_of_line) = (self.line, self.line_start);
        loop {
            let rest = &self.bytes[self.pos..];
            let spaces = rest.iter().take_while(|&&b| b == b' ').count();
            let line_end = match rest.get(spaces) {
                None if spaces == 0 => break,
                Some(b'\n') if spaces == 0 && indent.is_some() => {
                    blanks += 1;
                    0
                }
                // Lines of spaces only, blank lines first, the text ending in spaces.
                None | Some(b'\n') => return Err(Unsure),
                Some(_) => {
                    let want = *indent.get_or_insert(spaces);
                    if want <= parent {
                        return Err(Unsure);
                    }
                    if spaces < want {
                        self.pos += spaces;
                        break;
                    }
                    if folded && spaces > want {
                        return Err(Unsure);
                    }
                    let end = memchr::memchr(b'\n', rest).ok_or(Unsure)?;
                    let text = &self.text[self.pos + want..self.pos + end];
                    if any {
                        if !folded {
                            out.push('\n');
                        }
                        if folded && blanks == 0 {
                            out.push(' ');
                        }
                        // A folded scalar's blank lines stand for themselves; the line
                        // break between two adjacent lines becomes a space.
                        for _ in 0..blanks {
                            out.push('\n');
                        }
                    }
                    blanks = 0;
                    out.push_str(text);
                    any = true;
                    end
                }
            };
            self.enter_line(self.pos + line_end + 1);
        }
        if !any {
            return Err(Unsure);
        }
        match chomp {
            Some(b'-') => {}
            Some(_) => {
                out.push('\n');
                for _ in 0..blanks {
                    out.push('\n');
                }
            }
            None => out.push('\n'),
        }
        let style = if folded {
            ScalarStyle::Folded
        } else {
            ScalarStyle::Literal
        };
        let first = Marker::new(
            start + indent.unwrap_or(0),
            start_line,
            start - start_of_line + indent.unwrap_or(0),
        );
        let span = Span::new(first, self.mark_at(self.pos));
        Ok((Event::Scalar(Cow::Owned(out), style, 0, None), span))
    }

    /// Where saphyr ends the span of a quoted scalar or a closing bracket that ends at
    /// `pos`: past the spaces after it, and past a comment after those.
    pub(super) fn token_end(&self, pos: usize) -> usize {
        let mut end = pos;
        while self.byte(end) == Some(b' ') {
            end += 1;
        }
        if end > pos && self.byte(end) == Some(b'#') {
            end = memchr::memchr(b'\n', &self.bytes[end..]).map_or(self.bytes.len(), |i| end + i);
        }
        end
    }

    /// The event of the scalar read from `start` to `end`, with saphyr's span: a plain
    /// scalar's ends at its last character, a quoted one's at [`Self::token_end`].
    pub(super) fn scalar_event(
        &self,
        value: Cow<'a, str>,
        style: ScalarStyle,
        start: usize,
        end: usize,
    ) -> (Event<'a>, Span) {
        let span_end = if style == ScalarStyle::Plain {
            end
        } else {
            self.token_end(end)
        };
        (
            Event::Scalar(value, style, 0, None),
            self.span(start, span_end),
        )
    }

    // ---- scalars -------------------------------------------------------------------------

    /// The scalar at `start` on one line: its value, its style and where it ends.
    pub(super) fn scalar(
        &self,
        start: usize,
        flow: bool,
    ) -> Result<(Cow<'a, str>, ScalarStyle, usize), Unsure> {
        match self.byte(start) {
            Some(b'"') => {
                let end = self.quoted_end(start, b'"')?;
                Ok((
                    self.double_value(start, end)?,
                    ScalarStyle::DoubleQuoted,
                    end,
                ))
            }
            Some(b'\'') => {
                let end = self.quoted_end(start, b'\'')?;
                Ok((
                    self.single_value(start, end),
                    ScalarStyle::SingleQuoted,
                    end,
                ))
            }
            _ if self.plain_start(start) => {
                let end = self.plain_end(start, flow)?;
                Ok((
                    Cow::Borrowed(&self.text[start..end]),
                    ScalarStyle::Plain,
                    end,
                ))
            }
            _ => Err(Unsure),
        }
    }

    /// Whether a plain scalar may start at `pos`: not at an indicator, except a `-` before
    /// anything but a space or a flow indicator (`-5`, `--var`).
    pub(super) fn plain_start(&self, pos: usize) -> bool {
        match self.byte(pos) {
            Some(b'-') => !matches!(
                self.byte(pos + 1),
                None | Some(b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
            ),
            None
            | Some(
                b' ' | b'\n' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*'
                | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`',
            ) => false,
            Some(_) => true,
        }
    }

    /// Where the plain scalar at `start` ends, trailing spaces left out. It stops before
    /// `: `, a `:` at the line's end, ` #`, the line's end, and in a flow collection before
    /// `,[]{}`; a line break or a comment inside a flow collection, or a `:` there before a
    /// flow indicator, is left to saphyr.
    pub(super) fn plain_end(&self, start: usize, flow: bool) -> Result<usize, Unsure> {
        let stops = if flow { &FLOW_STOPS } else { &BLOCK_STOPS };
        let mut end = start;
        let mut i = start;
        loop {
            // Most bytes of a scalar need no thought: skip them a run at a time.
            let run = self.bytes[i..]
                .iter()
                .position(|&b| stops[usize::from(b)])
                .unwrap_or(self.bytes.len() - i);
            if run > 0 {
                i += run;
                end = i;
            }
            let Some(c) = self.byte(i) else { break };
            match c {
                b'\n' => {
                    if flow {
                        return Err(Unsure);
                    }
                    break;
                }
                b' ' => {
                    if self.byte(i + 1) == Some(b'#') {
                        if flow {
                            return Err(Unsure);
                        }
                        break;
                    }
                }
                b':' if self.sep(i + 1) => {
                    if flow && self.byte(i + 1) != Some(b' ') {
                        return Err(Unsure);
                    }
                    break;
                }
                // `http://x` inside a flow collection: a `:` before a character that is
                // not a flow indicator belongs to the scalar.
                b':' if flow => {
                    if matches!(self.byte(i + 1), Some(b',' | b'[' | b']' | b'{' | b'}')) {
                        return Err(Unsure);
                    }
                    end = i + 1;
                }
                // saphyr refuses a `-` before a flow indicator inside a plain scalar.
                b'-' if matches!(self.byte(i + 1), Some(b',' | b'[' | b']' | b'{' | b'}')) => {
                    return Err(Unsure);
                }
                b',' | b'[' | b']' | b'{' | b'}' if flow => break,
                _ => end = i + 1,
            }
            i += 1;
        }
        if flow && self.byte(i).is_none() {
            return Err(Unsure);
        }
        Ok(end)
    }

    /// Where the quoted scalar at `start` ends (after its closing quote). A line break
    /// inside it folds lines: saphyr's.
    pub(super) fn quoted_end(&self, start: usize, quote: u8) -> Result<usize, Unsure> {
        let mut i = start + 1;
        loop {
            match self.byte(i) {
                None | Some(b'\n') => return Err(Unsure),
                Some(b'\\') if quote == b'"' => i += 2,
                Some(b'\'') if quote == b'\'' && self.byte(i + 1) == Some(b'\'') => i += 2,
                Some(c) if c == quote => return Ok(i + 1),
                Some(_) => i += 1,
            }
        }
    }

    pub(super) fn single_value(&self, start: usize, end: usize) -> Cow<'a, str> {
        let inner = &self.text[start + 1..end - 1];
        if inner.contains('\'') {
            Cow::Owned(inner.replace("''", "'"))
        } else {
            Cow::Borrowed(inner)
        }
    }

    /// The value of a double-quoted scalar; escapes beyond the one-letter ASCII ones
    /// (`\x`, `\u`, `\N`, ...) are saphyr's.
    pub(super) fn double_value(&self, start: usize, end: usize) -> Result<Cow<'a, str>, Unsure> {
        let inner = &self.text[start + 1..end - 1];
        if !inner.contains('\\') {
            return Ok(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            out.push(match chars.next() {
                Some('\\') => '\\',
                Some('"') => '"',
                Some('/') => '/',
                Some(' ') => ' ',
                Some('0') => '\0',
                Some('a') => '\x07',
                Some('b') => '\x08',
                Some('t') => '\t',
                Some('n') => '\n',
                Some('v') => '\x0b',
                Some('f') => '\x0c',
                Some('r') => '\r',
                Some('e') => '\x1b',
                _ => return Err(Unsure),
            });
        }
        Ok(Cow::Owned(out))
    }
}
