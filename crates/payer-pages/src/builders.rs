//! The pages themselves: an auto-posting form (to an ACS, a wallet, a carrier), a message,
//! the not-found page and the payer's status page of a PaymentIntent.

use crate::components::{Link, MessageKind, Summary, link_button, notice, payment_summary};
use crate::html::Html;
use crate::i18n::Msg;
use crate::return_url::RedirectStatus;
use crate::security::{FormOrigin, WebUrl};
use crate::{Page, PageContext};

/// HTML id of the auto-posted form (the script submits it).
const AUTO_POST_FORM_ID: &str = "autopost";

/// A page whose form posts `fields` (hidden) to `action` as soon as it loads: a nonce'd
/// inline script submits it, and without JavaScript a visible button inside `<noscript>`
/// does. The CSP allows forms to post to `action`'s origin only.
pub fn auto_post(
    ctx: &PageContext,
    action: &WebUrl,
    fields: &[(&str, &str)],
    title: &str,
    explanation: &str,
) -> Page {
    let l = ctx.locale;
    let mut b = Html::new();
    b.raw("<p>").text(explanation).raw("</p>");
    b.fragment(notice(MessageKind::Info, Msg::RedirectingBody.text(l)));
    b.raw("<form method=\"post\"")
        .attr("id", AUTO_POST_FORM_ID)
        .attr("action", action.as_str())
        .raw(">");
    for (name, value) in fields {
        b.raw("<input type=\"hidden\"")
            .attr("name", name)
            .attr("value", value)
            .raw(">");
    }
    b.raw("<noscript><p>")
        .text(Msg::NoScriptHint.text(l))
        .raw("</p><button type=\"submit\" class=\"button\">")
        .text(Msg::Continue.text(l))
        .raw("</button></noscript></form><script")
        .attr("nonce", ctx.nonce.as_str())
        .raw(">document.getElementById(\"")
        .raw(AUTO_POST_FORM_ID)
        .raw("\").submit();</script>");
    Page::render(ctx, 200, title, b, &[FormOrigin::of(action)])
}

/// A message page: a notice of `kind` with `body`, and optionally a link to go on. Status
/// 200; a caller answering an error sets [`Page::status`].
pub fn message(
    ctx: &PageContext,
    kind: MessageKind,
    title: &str,
    body: &str,
    link: Option<&Link>,
) -> Page {
    let mut b = notice(kind, body);
    if let Some(link) = link {
        b.fragment(link_button(link, false));
    }
    Page::render(ctx, 200, title, b, &[])
}

/// A `303 See Other` to `to` (the shop's return URL after a 3-D Secure challenge), with a
/// link in the body for clients that do not follow redirects.
pub fn redirect(ctx: &PageContext, to: &WebUrl) -> Page {
    let l = ctx.locale;
    let link = Link {
        label: Msg::Continue.text(l).into(),
        href: to.clone(),
    };
    let mut p = message(
        ctx,
        MessageKind::Info,
        Msg::RedirectingTitle.text(l),
        Msg::RedirectingBody.text(l),
        Some(&link),
    );
    p.status = 303;
    p.headers.push(("location", to.as_str().to_string()));
    p
}

/// A `200` page that sends the payer on to `to` by a plain navigation rather than a redirect:
/// for an answer at the end of a redirect chain that began with another origin's form (the
/// ACS's result, the wallet page's PIN), since browsers hold every redirect of a form's
/// submission to that form's `form-action`, which does not name the shop. Its nonced script
/// follows the page's one link at once; without JavaScript the payer follows it.
pub fn continue_to(ctx: &PageContext, to: &WebUrl) -> Page {
    let l = ctx.locale;
    let link = Link {
        label: Msg::Continue.text(l).into(),
        href: to.clone(),
    };
    let mut b = notice(MessageKind::Info, Msg::RedirectingBody.text(l));
    b.fragment(link_button(&link, false));
    b.raw("<script")
        .attr("nonce", ctx.nonce.as_str())
        .raw(">location.replace(document.querySelector(\"main a.button\").href);</script>");
    Page::render(ctx, 200, Msg::RedirectingTitle.text(l), b, &[])
}

/// The 404 page: the same for an unknown id and a wrong secret, so neither can be told apart.
pub fn not_found(ctx: &PageContext) -> Page {
    let l = ctx.locale;
    let mut p = message(
        ctx,
        MessageKind::Error,
        Msg::NotFoundTitle.text(l),
        Msg::NotFoundBody.text(l),
        None,
    );
    p.status = 404;
    p
}

/// Where a PaymentIntent stands, as the payer is told (Stripe's statuses, with a
/// `requires_payment_method` after a declined attempt told apart as [`IntentState::Failed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntentState {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
    Failed,
}

impl IntentState {
    fn words(self) -> Msg {
        match self {
            IntentState::RequiresPaymentMethod => Msg::StatusRequiresPaymentMethod,
            IntentState::RequiresConfirmation => Msg::StatusRequiresConfirmation,
            IntentState::RequiresAction => Msg::StatusRequiresAction,
            IntentState::Processing => Msg::StatusProcessing,
            IntentState::RequiresCapture => Msg::StatusRequiresCapture,
            IntentState::Succeeded => Msg::StatusSucceeded,
            IntentState::Canceled => Msg::StatusCanceled,
            IntentState::Failed => Msg::StatusFailed,
        }
    }

    fn kind(self) -> MessageKind {
        match self {
            IntentState::RequiresCapture | IntentState::Succeeded => MessageKind::Success,
            IntentState::Canceled | IntentState::Failed => MessageKind::Error,
            _ => MessageKind::Info,
        }
    }

    /// The `redirect_status` for the shop once the payer is done here; `None` while the
    /// payment is still under way (no "return to the shop" yet).
    pub fn finished(self) -> Option<RedirectStatus> {
        match self {
            IntentState::RequiresCapture | IntentState::Succeeded => {
                Some(RedirectStatus::Succeeded)
            }
            IntentState::Canceled | IntentState::Failed => Some(RedirectStatus::Failed),
            _ => None,
        }
    }
}

/// What the status page shows.
#[derive(Clone, Debug)]
pub struct IntentStatusView {
    pub summary: Summary,
    pub state: IntentState,
    /// For `requires_action`: where the payer continues (`next_action.redirect_to_url.url`).
    pub continue_url: Option<WebUrl>,
    /// For a finished payment: the shop's `return_url` with the intent's parameters
    /// (see [`crate::return_url::return_url`]).
    pub return_url: Option<WebUrl>,
}

/// The payer's status page of a PaymentIntent: the summary, the status in words and the
/// one thing to do next (continue the verification, or return to the shop).
pub fn intent_status(ctx: &PageContext, v: &IntentStatusView) -> Page {
    let l = ctx.locale;
    let mut b = notice(v.state.kind(), v.state.words().text(l));
    b.fragment(payment_summary(l, &v.summary));
    if let (IntentState::RequiresAction, Some(url)) = (v.state, &v.continue_url) {
        b.raw("<p>")
            .text(Msg::ContinueExplanation.text(l))
            .raw("</p>");
        b.fragment(link_button(
            &Link {
                label: Msg::ContinuePayment.text(l).into(),
                href: url.clone(),
            },
            false,
        ));
    }
    if let (Some(_), Some(url)) = (v.state.finished(), &v.return_url) {
        b.fragment(link_button(
            &Link {
                label: Msg::ReturnToShop.text(l).into(),
                href: url.clone(),
            },
            false,
        ));
    }
    Page::render(ctx, 200, Msg::StatusTitle.text(l), b, &[])
}
