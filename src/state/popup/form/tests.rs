//! The form's keys and checks.
use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 14).expect("valid date")
}

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn validates_like_the_database() {
    assert_eq!(email_problem("a@b.co"), None);
    assert_eq!(email_problem(""), None);
    assert!(email_problem("a@b").is_some());
    assert!(email_problem("a b@c.de").is_some());
    assert!(email_problem("@c.de").is_some());
    assert_eq!(phone_problem("+1 (555) 010-0000"), None);
    assert!(phone_problem("call me").is_some());
    assert!(phone_problem("123").is_some());
    assert_eq!(parse_amount("250k"), Ok(Some(250_000.0)));
    assert_eq!(parse_amount("1,250.50"), Ok(Some(1250.5)));
    assert!(parse_amount("-3").is_err());
    // Issue 11: `€1,250,000` was stored and shown as $1,250,000. Budgets carry no currency.
    assert_eq!(parse_amount("$1,250,000"), Ok(Some(1_250_000.0)));
    assert_eq!(parse_amount("USD 1250000"), Ok(Some(1_250_000.0)));
    assert_eq!(parse_amount("1.2m usd"), Ok(Some(1_200_000.0)));
    for other in ["€1,250,000", "EUR 1250000", "£300k", "1250000 gbp", "250k€"] {
        assert_eq!(
            parse_amount(other),
            Err("Budget: in US dollars (a budget carries no currency)"),
            "{other}"
        );
    }
    // Deal amounts keep theirs (plain numbers: the organization's, `None`).
    let deal = |s: &str| {
        crate::currency::parse(s)
            .ok()
            .flatten()
            .map(|t| (t.amount, t.currency))
    };
    assert_eq!(deal("€1,250,000"), Some((1_250_000.0, Some("EUR".into()))));
    assert_eq!(
        deal("1.250.000 EUR"),
        Some((1_250_000.0, Some("EUR".into())))
    );
    assert_eq!(deal("GBP 20k"), Some((20_000.0, Some("GBP".into()))));
    assert_eq!(deal("¥300000"), Some((300_000.0, Some("JPY".into()))));
    assert_eq!(deal("250000"), Some((250_000.0, None)));
    let unknown = crate::currency::parse("ABC 5").expect_err("unknown code");
    assert!(
        unknown.contains("ABC is not a currency Closer knows"),
        "{unknown}"
    );
    assert_eq!(parse_duration("15"), Ok(Some(900)));
    assert_eq!(parse_duration("1:30"), Ok(Some(90)));
    assert_eq!(parse_duration("1h30"), Ok(Some(5400)));
    assert_eq!(parse_duration("90s"), Ok(Some(90)));
    assert!(parse_duration("soon").is_err());
    let date = |s: &str| parse_date(s, today()).map(|d| d.map(|d| d.date));
    assert_eq!(date("2025-04-01"), Ok(NaiveDate::from_ymd_opt(2025, 4, 1)));
    assert_eq!(date("+3"), Ok(NaiveDate::from_ymd_opt(2025, 3, 17)));
    assert!(date("2025-02-30").is_err());
}

fn task_form() -> Form<()> {
    Form::new(
        (),
        "t",
        vec![
            Field::choice(
                FieldId::Kind,
                "Type",
                vec![
                    ChoiceOption::new('e', "email", "email"),
                    ChoiceOption::new('c', "call", "call"),
                ],
                0,
            ),
            Field::date(FieldId::Due, "Due", None),
            Field::choice(
                FieldId::Priority,
                "Priority",
                vec![
                    ChoiceOption::new('l', "low", "low"),
                    ChoiceOption::new('m', "medium", "medium"),
                    ChoiceOption::new('h', "high", "high"),
                ],
                1,
            ),
            Field::area(FieldId::Description, "Notes", "", 100),
        ],
        today(),
    )
}

fn type_text(form: &mut Form<()>, text: &str) {
    for c in text.chars() {
        form.key(&ch(c), false, false);
    }
}

#[test]
fn typed_dates_stay_in_the_date_field() {
    // Issue 11: `t` picked today and jumped ahead, `h` set high priority, `u 10:00` landed
    // in Notes.
    let mut form = task_form();
    form.key(&ch('c'), false, false);
    assert_eq!(form.raw(FieldId::Kind), "call");
    assert_eq!(form.focus, 1);
    type_text(&mut form, "thu 10:00");
    assert_eq!(form.raw(FieldId::Due), "thu 10:00");
    assert_eq!(form.focus, 1);
    assert_eq!(form.raw(FieldId::Priority), "medium");
    assert_eq!(form.raw(FieldId::Description), "");
    let due = parse_date(form.raw(FieldId::Due), today()).expect("parses");
    assert_eq!(
        due.map(|d| (d.date, d.time)),
        Some((
            NaiveDate::from_ymd_opt(2025, 3, 20).expect("valid"),
            chrono::NaiveTime::from_hms_opt(10, 0, 0)
        ))
    );
    for text in ["mon", "wed", "next tuesday"] {
        let mut form = task_form();
        form.focus = 1;
        type_text(&mut form, text);
        assert_eq!(form.raw(FieldId::Due), text);
        assert_eq!(form.focus, 1);
    }
}

#[test]
fn quick_keys_are_words_on_an_empty_field() {
    let mut form = task_form();
    form.focus = 1;
    form.key(&ch('m'), false, false);
    assert_eq!(form.raw(FieldId::Due), "m");
    let due = parse_date(form.raw(FieldId::Due), today()).expect("parses");
    assert_eq!(due.map(|d| d.date), NaiveDate::from_ymd_opt(2025, 3, 15));
    // A date the form opened with is replaced by typing.
    let mut form = Form::new(
        (),
        "t",
        vec![Field::date(FieldId::Due, "Due", Some(today()))],
        today(),
    );
    form.key(&ch('f'), false, false);
    assert_eq!(form.raw(FieldId::Due), "f");
    assert_eq!(
        form.key(
            &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            false,
            false
        ),
        FormKey::Stay
    );
    assert_eq!(
        form.key(
            &KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            false,
            false
        ),
        FormKey::Close
    );
}
