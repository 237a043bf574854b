//! `filterExpression`: 1-based filter numbers joined by `and` / `or` with parentheses, and the
//! `and` / `or` shortcuts that join every filter.

use super::{Expr, MAX_DEPTH};
use crate::envelope::ApiError;

/// Parse `(1 and 2) or 3`: `and` binds tighter than `or`; numbers are 1-based filter indexes.
pub(super) fn parse_expression(text: &str, filters: usize) -> Result<Expr, ApiError> {
    if text.len() > 100_000 {
        return Err(ApiError::invalid_query("filterExpression is too long"));
    }
    // The shortcuts: `and` joins every filter, `or` any of them.
    let every = || (0..filters).map(Expr::Leaf).collect();
    match text.trim().to_ascii_lowercase().as_str() {
        "and" => return Ok(Expr::And(every())),
        "or" if filters > 0 => return Ok(Expr::Or(every())),
        "or" => return Ok(Expr::And(Vec::new())),
        _ => {}
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        position: 0,
        filters,
    };
    let expr = parser.or(0)?;
    if parser.position != tokens.len() {
        return Err(expression_error(text, "unexpected text after the end"));
    }
    Ok(expr)
}

fn expression_error(text: &str, why: &str) -> ApiError {
    let shown: String = text.chars().take(80).collect();
    ApiError::invalid_query(format!("filterExpression `{shown}` is not valid: {why}"))
}

#[derive(Debug, PartialEq)]
enum Token {
    Number(usize),
    And,
    Or,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, ApiError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '0'..='9' => {
                let mut end = at + 1;
                while let Some((next, d)) = chars.peek().copied() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    end = next + 1;
                    chars.next();
                }
                let number = text[at..end]
                    .parse()
                    .map_err(|_| expression_error(text, "a filter number is too large"))?;
                tokens.push(Token::Number(number));
            }
            c if c.is_ascii_alphabetic() => {
                let mut end = at + 1;
                while let Some((next, d)) = chars.peek().copied() {
                    if !d.is_ascii_alphabetic() {
                        break;
                    }
                    end = next + 1;
                    chars.next();
                }
                match text[at..end].to_ascii_lowercase().as_str() {
                    "and" => tokens.push(Token::And),
                    "or" => tokens.push(Token::Or),
                    word => {
                        return Err(expression_error(
                            text,
                            &format!("`{word}` is not `and` or `or`"),
                        ));
                    }
                }
            }
            other => return Err(expression_error(text, &format!("unexpected `{other}`"))),
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [Token],
    position: usize,
    filters: usize,
}

impl Parser<'_> {
    fn error(&self, why: &str) -> ApiError {
        ApiError::invalid_query(format!(
            "filterExpression is not valid: {why} (at token {})",
            self.position + 1
        ))
    }

    fn or(&mut self, depth: usize) -> Result<Expr, ApiError> {
        let mut terms = vec![self.and(depth)?];
        while self.tokens.get(self.position) == Some(&Token::Or) {
            self.position += 1;
            terms.push(self.and(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ApiError> {
        let mut factors = vec![self.factor(depth)?];
        while self.tokens.get(self.position) == Some(&Token::And) {
            self.position += 1;
            factors.push(self.factor(depth)?);
        }
        Ok(if factors.len() == 1 {
            factors.remove(0)
        } else {
            Expr::And(factors)
        })
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, ApiError> {
        match self.tokens.get(self.position) {
            Some(Token::Number(number)) => {
                self.position += 1;
                if *number == 0 || *number > self.filters {
                    return Err(self.error(&format!(
                        "filter {number} does not exist (there are {} filters)",
                        self.filters
                    )));
                }
                Ok(Expr::Leaf(number - 1))
            }
            Some(Token::Open) => {
                if depth >= MAX_DEPTH {
                    return Err(self.error(&format!("parentheses nest deeper than {MAX_DEPTH}")));
                }
                self.position += 1;
                let inner = self.or(depth + 1)?;
                if self.tokens.get(self.position) != Some(&Token::Close) {
                    return Err(self.error("a `(` is not closed"));
                }
                self.position += 1;
                Ok(inner)
            }
            Some(_) => Err(self.error("expected a filter number or `(`")),
            None => Err(self.error("it ends too early")),
        }
    }
}
