//! `multipart/form-data` bodies (RFC 7578) built from a request's parts
//! (docs/collections-language.md#bodies-from-files-and-multipart): each part with its name, a
//! `filename` for file parts, and its content type.

use courier_core::model::{Part, PartValue};

/// Encodes the parts; `content` gives each part's bytes and content type. Returns the body
/// and the `Content-Type` header value with its boundary.
pub(crate) fn encode(
    parts: &[Part],
    mut content: impl FnMut(&Part) -> Result<(Vec<u8>, Option<String>), String>,
) -> Result<(Vec<u8>, String), String> {
    let mut contents = Vec::with_capacity(parts.len());
    for p in parts {
        contents.push(content(p)?);
    }
    let boundary = boundary(&contents);
    let mut body = Vec::new();
    for (p, (bytes, content_type)) in parts.iter().zip(&contents) {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let name = quoted(&p.name.value);
        let disposition = match &p.value {
            PartValue::File { file, .. } => {
                let filename = file
                    .path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\n",
                    quoted(&filename)
                )
            }
            _ => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        if let Some(t) = content_type {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok((body, format!("multipart/form-data; boundary={boundary}")))
}

/// A boundary that occurs in no part: a random one, drawn again in the unlikely case it does.
fn boundary(contents: &[(Vec<u8>, Option<String>)]) -> String {
    loop {
        let b = format!("courier-{}", uuid::Uuid::new_v4().simple());
        let clash = contents
            .iter()
            .any(|(bytes, _)| bytes.windows(b.len()).any(|w| w == b.as_bytes()));
        if !clash {
            return b;
        }
    }
}

/// A name inside a quoted header parameter: quotes and line breaks escaped as browsers do.
fn quoted(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_core::diag::{Span, Spanned};
    use courier_core::model::BodyFile;

    fn part(name: &str, value: PartValue) -> Part {
        Part {
            name: Spanned {
                value: name.to_owned(),
                span: Span::default(),
            },
            value,
        }
    }

    /// A file part carries its file name and content type; a text part neither; the body
    /// ends with the closing boundary.
    #[test]
    fn parts_are_framed_by_the_boundary() {
        let file = BodyFile {
            path: "data/vendors.json".into(),
            written: Spanned {
                value: "data/vendors.json".to_owned(),
                span: Span::default(),
            },
            content_type: Some("application/json"),
        };
        let parts = [
            part(
                "file",
                PartValue::File {
                    file,
                    content_type: None,
                },
            ),
            part(
                "note",
                PartValue::Text(Spanned {
                    value: courier_core::template::Template::literal("x"),
                    span: Span::default(),
                }),
            ),
        ];
        let (body, content_type) = encode(&parts, |p| match &p.value {
            PartValue::File { .. } => Ok((b"[1]".to_vec(), Some("application/json".to_owned()))),
            _ => Ok((b"hello".to_vec(), None)),
        })
        .unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"vendors.json\"\r\nContent-Type: application/json\r\n\r\n[1]\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}--\r\n"
            )
        );
    }
}
