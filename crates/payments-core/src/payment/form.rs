//! An HTML form the payer's browser submits to the gateway, and the self-submitting page
//! that carries it. Names, values and the action are escaped with the `html-escape` crate.

use url::Url;

/// The HTTP method of an [`HtmlForm`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormMethod {
    /// `GET`: the fields travel in the query string.
    Get,
    /// `POST`: the fields travel form-encoded in the body.
    Post,
}

impl FormMethod {
    /// `"GET"` or `"POST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A form the payer's browser submits to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HtmlForm {
    /// GET or POST.
    pub method: FormMethod,
    /// Where the form is submitted.
    pub action: Url,
    /// The fields, in order, with their raw (unescaped) values.
    pub fields: Vec<(String, String)>,
}

impl HtmlForm {
    /// A form with the given method, target and fields.
    pub fn new(method: FormMethod, action: Url, fields: Vec<(String, String)>) -> Self {
        Self { method, action, fields }
    }

    /// For a GET form, the URL the browser would go to: `action` with the fields appended to
    /// its query. `None` for a POST form.
    pub fn to_get_url(&self) -> Option<Url> {
        if self.method != FormMethod::Get {
            return None;
        }
        let mut url = self.action.clone();
        if !self.fields.is_empty() {
            let mut query = url.query_pairs_mut();
            for (name, value) in &self.fields {
                query.append_pair(name, value);
            }
        }
        Some(url)
    }

    /// A complete HTML page whose form submits itself on load, with a button for browsers
    /// that run no script. Every name and value is HTML-escaped.
    ///
    /// ```
    /// use payments_core::payment::{FormMethod, HtmlForm};
    ///
    /// let form = HtmlForm::new(
    ///     FormMethod::Post,
    ///     "https://pay.example/checkout".parse()?,
    ///     vec![("order".into(), "<42>".into())],
    /// );
    /// let html = form.to_auto_submit_html();
    /// assert!(html.contains(r#"<input type="hidden" name="order" value="&lt;42&gt;">"#));
    /// # Ok::<(), url::ParseError>(())
    /// ```
    pub fn to_auto_submit_html(&self) -> String {
        // A browser replaces the query of a GET form's action with the form's fields, so the
        // action's own query parameters travel as hidden fields instead.
        let mut action = self.action.clone();
        let mut fields: Vec<(String, String)> = Vec::new();
        if self.method == FormMethod::Get {
            fields.extend(
                action.query_pairs().map(|(name, value)| (name.into_owned(), value.into_owned())),
            );
            action.set_query(None);
        }
        fields.extend(self.fields.iter().cloned());
        let mut html = String::from(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Redirecting to payment</title></head>\n\
             <body onload=\"document.forms[0].submit()\">\n",
        );
        html.push_str(&format!(
            "<form method=\"{}\" action=\"{}\">\n",
            self.method.as_str().to_ascii_lowercase(),
            escape_html(action.as_str())
        ));
        for (name, value) in &fields {
            html.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape_html(name),
                escape_html(value)
            ));
        }
        html.push_str(
            "<noscript><button type=\"submit\">Continue to payment</button></noscript>\n",
        );
        html.push_str("</form>\n</body></html>\n");
        html
    }
}

/// Escapes text for a quoted HTML attribute value (single or double quotes) or an element
/// body: `&`, `<`, `>`, `"` and `'` become character references (`&amp;`, `&lt;`, `&gt;`,
/// `&quot;`, `&#x27;`), everything else is kept.
///
/// ```
/// use payments_core::payment::escape_html;
///
/// assert_eq!(escape_html(r#"<a href="x">O'Neil & co</a>"#),
///            "&lt;a href=&quot;x&quot;&gt;O&#x27;Neil &amp; co&lt;/a&gt;");
/// ```
pub fn escape_html(text: &str) -> String {
    html_escape::encode_quoted_attribute(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_form_has_no_url_but_escaped_html() {
        let form = HtmlForm::new(
            FormMethod::Post,
            "https://pay.example/?a=1&b=2".parse().unwrap(),
            vec![("n\"".into(), "'v'".into())],
        );
        assert_eq!(form.to_get_url(), None);
        let html = form.to_auto_submit_html();
        assert!(html.contains(r#"action="https://pay.example/?a=1&amp;b=2""#), "{html}");
        // `&#x27;` is the hexadecimal form of the reference `&#39;` the hand-written escape wrote.
        assert!(html.contains(r#"name="n&quot;" value="&#x27;v&#x27;""#), "{html}");
        assert!(html.contains(r#"<form method="post""#));
    }

    /// Undoes the five character references the HTML standard defines for these characters
    /// (`&#39;` and `&#x27;` are the decimal and hexadecimal forms of the same one).
    fn unescape(text: &str) -> String {
        text.replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    #[test]
    fn attribute_values_escape_quotes_angle_brackets_and_ampersands() {
        let raw = r#"a"b'c<d>e&f&amp;"#;
        let form = HtmlForm::new(
            FormMethod::Post,
            "https://pay.example/".parse().unwrap(),
            vec![(raw.into(), raw.into())],
        );
        let html = form.to_auto_submit_html();
        let input = html.lines().find(|line| line.starts_with("<input")).unwrap();
        let attribute = |name: &str| {
            let start = input.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
            let len = input[start..].find('"').unwrap();
            input[start..start + len].to_owned()
        };
        for escaped in [attribute("name"), attribute("value")] {
            // Nothing left in the quoted value can end it or open a tag.
            assert!(!escaped.contains(['"', '\'', '<', '>']), "{input}");
            for (at, _) in escaped.match_indices('&') {
                let rest = &escaped[at..];
                assert!(
                    ["&quot;", "&#39;", "&#x27;", "&lt;", "&gt;", "&amp;"]
                        .iter()
                        .any(|reference| rest.starts_with(reference)),
                    "every & starts a reference: {input}"
                );
            }
            assert_eq!(unescape(&escaped), raw, "{input}");
        }
        assert!(input.contains("&amp;amp;"), "an existing reference is escaped again: {input}");
    }
}
