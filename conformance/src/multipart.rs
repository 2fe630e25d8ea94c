//! Hand-built `multipart/form-data` bodies for chunk uploads, so that
//! scenarios control field names, field order and malformed values.

/// One part of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        file_name: String,
        bytes: Vec<u8>,
    },
}

impl Part {
    fn name(&self) -> &str {
        match self {
            Part::Text { name, .. } | Part::File { name, .. } => name,
        }
    }
}

/// A form in the order its parts will be sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    parts: Vec<Part>,
}

impl Form {
    /// The four fields of one chunk, in the order a browser client sends
    /// them: `dzuuid`, `dzchunkindex`, `dztotalchunks`, then `upload`.
    pub fn chunk(dzuuid: &str, index: impl ToString, total: impl ToString, bytes: &[u8]) -> Form {
        Form::default()
            .text("dzuuid", dzuuid)
            .text("dzchunkindex", index.to_string())
            .text("dztotalchunks", total.to_string())
            .file("upload", bytes)
    }

    pub fn text(mut self, name: &str, value: impl Into<String>) -> Form {
        self.parts.push(Part::Text {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    pub fn file(mut self, name: &str, bytes: &[u8]) -> Form {
        self.parts.push(Part::File {
            name: name.into(),
            file_name: "blob".into(),
            bytes: bytes.to_vec(),
        });
        self
    }

    /// Drops every part with this name.
    pub fn without(mut self, name: &str) -> Form {
        self.parts.retain(|part| part.name() != name);
        self
    }

    /// Moves the file parts to the front.
    pub fn files_first(mut self) -> Form {
        self.parts.sort_by_key(|part| {
            if matches!(part, Part::File { .. }) {
                0
            } else {
                1
            }
        });
        self
    }

    /// Renames a part, keeping its place.
    pub fn renamed(mut self, from: &str, to: &str) -> Form {
        for part in &mut self.parts {
            match part {
                Part::Text { name, .. } | Part::File { name, .. } if name == from => {
                    *name = to.into()
                }
                _ => {}
            }
        }
        self
    }

    /// A short description for failure reports, such as
    /// `form dzuuid=.. dzchunkindex=1 dztotalchunks=3 upload=<5 bytes>`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Text { name, value } => format!("{name}={value}"),
                Part::File { name, bytes, .. } => format!("{name}=<{} bytes>", bytes.len()),
            })
            .collect();
        format!("form {}", parts.join(" "))
    }

    /// The encoded body and its `Content-Type` header value.
    pub fn encode(&self, boundary: &str) -> (String, Vec<u8>) {
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text { name, value } => {
                    let head = format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n");
                    body.extend_from_slice(head.as_bytes());
                    body.extend_from_slice(value.as_bytes());
                }
                Part::File {
                    name,
                    file_name,
                    bytes,
                } => {
                    let head = format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    );
                    body.extend_from_slice(head.as_bytes());
                    body.extend_from_slice(bytes);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        (content_type, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_form_encodes_fields_then_file() {
        let (content_type, body) = Form::chunk("u1", 0, 2, b"hi").encode("XB");
        assert_eq!(content_type, "multipart/form-data; boundary=XB");
        let text = String::from_utf8(body).unwrap();
        let expected = "--XB\r\nContent-Disposition: form-data; name=\"dzuuid\"\r\n\r\nu1\r\n\
             --XB\r\nContent-Disposition: form-data; name=\"dzchunkindex\"\r\n\r\n0\r\n\
             --XB\r\nContent-Disposition: form-data; name=\"dztotalchunks\"\r\n\r\n2\r\n\
             --XB\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"blob\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nhi\r\n--XB--\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn files_first_moves_the_file_part_before_the_fields() {
        let form = Form::chunk("u1", 0, 1, b"x").files_first();
        assert_eq!(
            form.summary(),
            "form upload=<1 bytes> dzuuid=u1 dzchunkindex=0 dztotalchunks=1"
        );
    }

    #[test]
    fn without_and_renamed_change_only_the_named_part() {
        let form = Form::chunk("u1", 0, 1, b"x")
            .without("dzuuid")
            .renamed("upload", "file");
        assert_eq!(
            form.summary(),
            "form dzchunkindex=0 dztotalchunks=1 file=<1 bytes>"
        );
    }
}
