//! A fast reader for the shapes collections are written in: block maps and lists, flow maps
//! and lists on one line, plain and quoted scalars on one line, literal and folded block
//! scalars, and comments, in ASCII text. It hands out the events saphyr-parser would, with
//! the same spans (the differential tests in `tests.rs` hold it to that). At anything else —
//! anchors, aliases, tags, other scalars over several lines, tabs, non-ASCII text, `---`,
//! empty list items, and whatever might be an error —
//! it answers [`Unsure`] and the caller reads the text again with saphyr-parser, so that
//! every error and every corner of YAML stays saphyr's. saphyr reads a scalar a character at
//! a time into a growing string; this reads bytes and borrows unescaped scalars from the
//! text (docs/performance.md#yaml).

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

mod scalar;

use scalar::plain_ascii;

/// The text is outside what this reader knows: read it with saphyr-parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unsure;

type Step<'a> = Result<(Event<'a>, Span), Unsure>;

/// Deeper than this, let saphyr-parser (and its recursion limit) have the text.
const MAX_FRAMES: usize = 64;

/// Keys this long or longer are saphyr's to judge (YAML limits an implicit key to 1,024
/// characters).
const MAX_KEY: usize = 1000;

#[derive(Debug, Clone, Copy)]
enum Frame {
    /// A block map whose keys start at column `indent`; `colon` is where the `:` of the key
    /// just read stands, while its value is due.
    Map {
        indent: usize,
        colon: Option<Marker>,
    },
    /// A block list whose dashes are at column `indent`; `indentless` when the dashes stand
    /// at the column of the keys of the map that holds it (`key:\n- item`).
    Seq {
        indent: usize,
        indentless: bool,
    },
    FlowSeq(Flow),
    FlowMap(Flow),
}

/// Where a flow collection is: before its first item, after an item (or a map's value),
/// after a comma, or after a map's key and its colon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    First,
    Item,
    Comma,
    Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Stream,
    Document,
    Root,
    Body,
    StreamEnd,
    Over,
}

pub(super) struct Fast<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// The line of `pos`, from 1, and where that line starts.
    line: usize,
    line_start: usize,
    frames: Vec<Frame>,
    phase: Phase,
}

impl<'a> Fast<'a> {
    /// A reader for `text`, or `None` when the text holds a byte this reader leaves to
    /// saphyr-parser: anything outside ASCII (char and byte offsets then differ), a tab or a
    /// carriage return (indentation and line rules with corners), any other control byte.
    pub(super) fn new(text: &'a str) -> Option<Self> {
        plain_ascii(text.as_bytes()).then(|| Fast {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            frames: Vec::new(),
            phase: Phase::Stream,
        })
    }

    /// The next event, as saphyr-parser's `next_event` would give it.
    pub(super) fn next(&mut self) -> Step<'a> {
        match self.phase {
            Phase::Stream => {
                self.phase = Phase::Document;
                let start = Marker::new(0, 1, 0);
                Ok((Event::StreamStart, Span::new(start, start)))
            }
            Phase::Document => {
                // An empty document is rare and has its own events: saphyr's.
                if self.skip_to_content()?.is_none() {
                    return Err(Unsure);
                }
                self.phase = Phase::Root;
                Ok((Event::DocumentStart(false), self.here()))
            }
            Phase::Root => {
                self.phase = Phase::Body;
                self.block_here()
            }
            Phase::Body => match self.frames.last().copied() {
                None => {
                    self.phase = Phase::StreamEnd;
                    Ok((Event::DocumentEnd, self.end_of_text()))
                }
                Some(Frame::Map {
                    indent,
                    colon: None,
                }) => self.map_key(indent),
                Some(Frame::Map {
                    indent,
                    colon: Some(colon),
                }) => self.map_value(indent, colon),
                Some(Frame::Seq { indent, indentless }) => self.seq_item(indent, indentless),
                Some(Frame::FlowSeq(state)) => self.flow_seq(state),
                Some(Frame::FlowMap(state)) => self.flow_map(state),
            },
            Phase::StreamEnd => {
                self.phase = Phase::Over;
                Ok((Event::StreamEnd, self.end_of_text()))
            }
            Phase::Over => Err(Unsure),
        }
    }

    // ---- positions -----------------------------------------------------------------------

    fn mark_at(&self, pos: usize) -> Marker {
        Marker::new(pos, self.line, pos - self.line_start)
    }

    /// A zero-width span where the reader stands.
    fn here(&self) -> Span {
        let m = self.mark_at(self.pos);
        Span::new(m, m)
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.mark_at(start), self.mark_at(end))
    }

    /// Where saphyr-parser puts the end of the text: the start of the line after the last
    /// one, as if the text ended with a line break.
    fn end_of_text(&self) -> Span {
        let len = self.bytes.len();
        let line = if self.line_start == len {
            self.line
        } else {
            self.line + 1
        };
        let m = Marker::new(len, line, 0);
        Span::new(m, m)
    }

    fn col(&self) -> usize {
        self.pos - self.line_start
    }

    fn byte(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    /// Whether a separator (space, line break, end of text) stands at `pos`.
    fn sep(&self, pos: usize) -> bool {
        matches!(self.byte(pos), None | Some(b' ' | b'\n'))
    }

    fn dash(&self, pos: usize) -> bool {
        self.byte(pos) == Some(b'-') && self.sep(pos + 1)
    }

    // ---- skipping ------------------------------------------------------------------------

    /// Skips spaces, comments and line breaks to the next token; its first byte, or `None`
    /// at the end of the text.
    fn skip_to_content(&mut self) -> Result<Option<u8>, Unsure> {
        loop {
            self.skip_spaces();
            match self.byte(self.pos) {
                None => return Ok(None),
                Some(b'#') => {
                    if self.pos > self.line_start && self.bytes[self.pos - 1] != b' ' {
                        return Err(Unsure);
                    }
                    self.skip_line_rest();
                }
                Some(b'\n') => self.enter_line(self.pos + 1),
                Some(c) => {
                    // `---` and `...` at a line's start mark documents: saphyr's business.
                    if self.pos == self.line_start {
                        let rest = &self.bytes[self.pos..];
                        if (rest.starts_with(b"---") || rest.starts_with(b"..."))
                            && self.sep(self.pos + 3)
                        {
                            return Err(Unsure);
                        }
                    }
                    return Ok(Some(c));
                }
            }
        }
    }

    /// Moves to `start`, the start of the next line.
    fn enter_line(&mut self, start: usize) {
        self.pos = start;
        self.line += 1;
        self.line_start = start;
    }

    fn skip_line_rest(&mut self) {
        self.pos = memchr::memchr(b'\n', &self.bytes[self.pos..])
            .map_or(self.bytes.len(), |i| self.pos + i);
    }

    fn skip_spaces(&mut self) {
        while self.byte(self.pos) == Some(b' ') {
            self.pos += 1;
        }
    }

    /// After a value in a block: only spaces and a comment may follow on its line.
    fn end_line(&mut self) -> Result<(), Unsure> {
        let start = self.pos;
        self.skip_spaces();
        match self.byte(self.pos) {
            None | Some(b'\n') => Ok(()),
            Some(b'#') if self.pos > start => {
                self.skip_line_rest();
                Ok(())
            }
            Some(_) => Err(Unsure),
        }
    }

    // ---- block structure -----------------------------------------------------------------

    fn push(&mut self, frame: Frame) -> Result<(), Unsure> {
        if self.frames.len() >= MAX_FRAMES {
            return Err(Unsure);
        }
        self.frames.push(frame);
        Ok(())
    }

    /// A block list or map that starts at the token where the reader stands.
    fn block_here(&mut self) -> Step<'a> {
        let indent = self.col();
        let at = self.here();
        if self.dash(self.pos) {
            self.push(Frame::Seq {
                indent,
                indentless: false,
            })?;
            Ok((Event::SequenceStart(0, None), at))
        } else if self.is_key(self.pos) {
            self.push(Frame::Map {
                indent,
                colon: None,
            })?;
            Ok((Event::MappingStart(0, None), at))
        } else {
            Err(Unsure)
        }
    }

    /// Ends the innermost block collection at the token where the reader stands.
    fn close_block(&mut self) -> Step<'a> {
        let (event, indent) = match self.frames.pop() {
            Some(Frame::Seq {
                indentless: true, ..
            }) => (Event::SequenceEnd, None),
            Some(Frame::Seq { indent, .. }) => (Event::SequenceEnd, Some(indent)),
            Some(Frame::Map { indent, .. }) => (Event::MappingEnd, Some(indent)),
            _ => return Err(Unsure),
        };
        // At the end of a text whose last line has no line break, saphyr first ends the
        // blocks indented deeper than that line is long, where the line ends; the others
        // (and a list at its map's column, which saphyr ends at the next token) where the
        // text ends.
        let at = if self.pos < self.bytes.len()
            || indent.is_some_and(|indent| indent > self.col() && self.col() > 0)
        {
            self.here()
        } else {
            self.end_of_text()
        };
        // The document's own collection ends only with the text (less indented text after it
        // is an error).
        if self.frames.is_empty() && self.pos != self.bytes.len() {
            return Err(Unsure);
        }
        Ok((event, at))
    }

    fn set_top(&mut self, frame: Frame) {
        if let Some(top) = self.frames.last_mut() {
            *top = frame;
        }
    }

    fn map_key(&mut self, indent: usize) -> Step<'a> {
        if self.skip_to_content()?.is_none() || self.col() < indent {
            return self.close_block();
        }
        if self.col() > indent || self.dash(self.pos) {
            return Err(Unsure);
        }
        let start = self.pos;
        let (value, style, end) = self.scalar(start, false)?;
        if !self.key_end(start, end) {
            return Err(Unsure);
        }
        self.set_top(Frame::Map {
            indent,
            colon: Some(self.mark_at(end)),
        });
        self.pos = end + 1;
        Ok(self.scalar_event(value, style, start, end))
    }

    fn map_value(&mut self, indent: usize, colon: Marker) -> Step<'a> {
        self.set_top(Frame::Map {
            indent,
            colon: None,
        });
        self.skip_spaces();
        if !matches!(self.byte(self.pos), None | Some(b'\n' | b'#')) {
            return self.inline_value();
        }
        // The value is on the lines below, or empty.
        let next = self.skip_to_content()?;
        if next.is_some() && self.col() > indent {
            return self.block_here();
        }
        if next.is_some() && self.col() == indent && self.dash(self.pos) {
            // `key:\n- item`: saphyr starts such a list at its first item's token.
            let mut first = self.pos + 1;
            while self.byte(first) == Some(b' ') {
                first += 1;
            }
            if matches!(self.byte(first), None | Some(b'\n' | b'#')) {
                return Err(Unsure);
            }
            self.push(Frame::Seq {
                indent,
                indentless: true,
            })?;
            let m = self.mark_at(first);
            return Ok((Event::SequenceStart(0, None), Span::new(m, m)));
        }
        Ok((
            Event::Scalar(Cow::Borrowed(""), ScalarStyle::Plain, 0, None),
            Span::new(colon, colon),
        ))
    }

    fn seq_item(&mut self, indent: usize, indentless: bool) -> Step<'a> {
        if self.skip_to_content()?.is_none()
            || self.col() < indent
            || (indentless && self.col() == indent && !self.dash(self.pos))
        {
            return self.close_block();
        }
        if self.col() > indent || !self.dash(self.pos) {
            return Err(Unsure);
        }
        self.pos += 1;
        self.skip_spaces();
        if matches!(self.byte(self.pos), None | Some(b'\n' | b'#')) {
            // The item is on the lines below (an empty one is saphyr's).
            if self.skip_to_content()?.is_some() && self.col() > indent {
                return self.block_here();
            }
            return Err(Unsure);
        }
        if self.dash(self.pos) || self.is_key(self.pos) {
            return self.block_here();
        }
        self.inline_value()
    }

    /// A value that starts on the line of its key or dash: a flow collection or a scalar.
    fn inline_value(&mut self) -> Step<'a> {
        match self.byte(self.pos) {
            Some(b'[') => self.open_flow(Frame::FlowSeq(Flow::First)),
            Some(b'{') => self.open_flow(Frame::FlowMap(Flow::First)),
            Some(b'|' | b'>') => self.block_scalar(),
            _ => {
                let start = self.pos;
                let (value, style, end) = self.scalar(start, false)?;
                let event = self.scalar_event(value, style, start, end);
                self.pos = end;
                self.end_line()?;
                Ok(event)
            }
        }
    }

    /// Whether a map key (a scalar, then `: ` or `:` at the line's end) starts at `pos`.
    fn is_key(&self, pos: usize) -> bool {
        let end = match self.byte(pos) {
            Some(q @ (b'"' | b'\'')) => self.quoted_end(pos, q).ok(),
            _ if self.plain_start(pos) => Some(self.plain_end(pos, false).unwrap_or(pos)),
            _ => None,
        };
        end.is_some_and(|end| self.key_end(pos, end))
    }

    /// Whether the key from `start` to `end` is followed by its `:` (see [`MAX_KEY`]).
    fn key_end(&self, start: usize, end: usize) -> bool {
        end - start < MAX_KEY && self.byte(end) == Some(b':') && self.sep(end + 1)
    }

    // ---- flow collections ----------------------------------------------------------------

    fn open_flow(&mut self, frame: Frame) -> Step<'a> {
        let event = match frame {
            Frame::FlowSeq(_) => Event::SequenceStart(0, None),
            _ => Event::MappingStart(0, None),
        };
        self.push(frame)?;
        // saphyr's span of an opening bracket runs to the next token.
        let start = self.pos;
        self.pos += 1;
        self.skip_spaces();
        Ok((event, self.span(start, self.pos)))
    }

    fn close_flow(&mut self) -> Step<'a> {
        let event = match self.frames.pop() {
            Some(Frame::FlowSeq(_)) => Event::SequenceEnd,
            Some(Frame::FlowMap(_)) => Event::MappingEnd,
            _ => return Err(Unsure),
        };
        let span = self.span(self.pos, self.token_end(self.pos + 1));
        self.pos += 1;
        match self.frames.last() {
            Some(Frame::FlowSeq(_) | Frame::FlowMap(_)) => {}
            Some(_) => self.end_line()?,
            None => return Err(Unsure),
        }
        Ok((event, span))
    }

    /// The next byte inside a flow collection, which must close on its own line.
    fn flow_byte(&mut self) -> Result<u8, Unsure> {
        self.skip_spaces();
        match self.byte(self.pos) {
            None | Some(b'\n' | b'#') => Err(Unsure),
            Some(c) => Ok(c),
        }
    }

    /// Where a flow collection stands before its next item: `None` when `close` ends it
    /// here, else its state (a comma after an item is read) and the byte the item starts at.
    fn flow_next(&mut self, state: Flow, close: u8) -> Result<Option<(Flow, u8)>, Unsure> {
        let c = self.flow_byte()?;
        match state {
            Flow::First | Flow::Item if c == close => Ok(None),
            Flow::Item if c == b',' => {
                self.pos += 1;
                Ok(Some((Flow::Comma, self.flow_byte()?)))
            }
            Flow::Item => Err(Unsure),
            _ => Ok(Some((state, c))),
        }
    }

    fn flow_seq(&mut self, state: Flow) -> Step<'a> {
        let Some((_, c)) = self.flow_next(state, b']')? else {
            return self.close_flow();
        };
        if matches!(c, b']' | b',' | b'}') {
            return Err(Unsure);
        }
        self.set_top(Frame::FlowSeq(Flow::Item));
        self.flow_node()
    }

    fn flow_map(&mut self, state: Flow) -> Step<'a> {
        let Some((state, c)) = self.flow_next(state, b'}')? else {
            return self.close_flow();
        };
        match (state, c) {
            (_, b']' | b',' | b'}') => Err(Unsure),
            (Flow::Value, _) => {
                self.set_top(Frame::FlowMap(Flow::Item));
                self.flow_node()
            }
            _ => {
                // A key: a scalar, then `: `.
                let start = self.pos;
                let (value, style, end) = self.scalar(start, true)?;
                if end - start >= MAX_KEY
                    || self.byte(end) != Some(b':')
                    || self.byte(end + 1) != Some(b' ')
                {
                    return Err(Unsure);
                }
                self.set_top(Frame::FlowMap(Flow::Value));
                self.pos = end + 1;
                Ok(self.scalar_event(value, style, start, end))
            }
        }
    }

    /// An item or a value inside a flow collection.
    fn flow_node(&mut self) -> Step<'a> {
        match self.byte(self.pos) {
            Some(b'[') => self.open_flow(Frame::FlowSeq(Flow::First)),
            Some(b'{') => self.open_flow(Frame::FlowMap(Flow::First)),
            _ => {
                let start = self.pos;
                let (value, style, end) = self.scalar(start, true)?;
                self.pos = end;
                Ok(self.scalar_event(value, style, start, end))
            }
        }
    }
}

#[cfg(test)]
mod tests;
