//! Searching a paginated listing page by page, stopping at the first page
//! that has what is looked for (SDK paginators read every page, and carry
//! no retry or error mapping of the kit's).

use super::error::SdkResultExt;
use meridian_engine::ProviderError;
use std::future::Future;

/// The first item `pick` finds in a paginated listing: `send(token)` sends
/// the SDK request for the page after `token` (`None`: the first page; its
/// error classified as `what`), and pages are read until one has it or
/// `next_token` names no further page (none, or empty).
pub async fn find_in_pages<P, T, R, Fut>(
    what: &str,
    mut send: impl FnMut(Option<String>) -> Fut,
    next_token: impl Fn(&P) -> Option<&str>,
    pick: impl Fn(&P) -> Option<T>,
) -> Result<Option<T>, ProviderError>
where
    Fut: Future<Output = R>,
    R: SdkResultExt<P>,
{
    let mut next = None;
    loop {
        let page = send(next.take()).await.aws(what)?;
        if let Some(found) = pick(&page) {
            return Ok(Some(found));
        }
        match next_token(&page) {
            Some(token) if !token.is_empty() => next = Some(token.to_string()),
            _ => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::kit::AwsError;

    /// A page as a test sends it: never an error.
    #[derive(Clone)]
    struct Page(Vec<i32>, Option<&'static str>);

    impl SdkResultExt<Page> for Page {
        fn aws(self, _context: &str) -> Result<Page, AwsError> {
            Ok(self)
        }
    }

    #[tokio::test]
    async fn pages_are_read_until_one_has_it() {
        let first = Page(vec![1, 2], Some("b"));
        let last = Page(vec![3, 4], Some(""));
        let mut asked: Vec<Option<String>> = Vec::new();
        let found = find_in_pages(
            "listing",
            |token| {
                asked.push(token.clone());
                let page = if token.is_none() { &first } else { &last };
                std::future::ready(page.clone())
            },
            |page| page.1,
            |page| page.0.iter().find(|n| **n > 2).copied(),
        )
        .await;
        assert_eq!(found, Ok(Some(3)));
        assert_eq!(asked, vec![None, Some("b".to_string())]);
        let send = |_| std::future::ready(last.clone());
        let none = find_in_pages("listing", send, |p| p.1, |_| None::<i32>);
        assert_eq!(none.await, Ok(None), "an empty token is the last page");
    }
}
