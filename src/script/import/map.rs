//! Column headers → lead fields: the names Pipedrive, HubSpot, Salesforce and Twenty export,
//! plain English ones, Closer's own export, and `--map "Column=field"` overrides.

use super::super::{Fail, Result};
use crate::text::clean_line;

/// A lead field a column can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// A Closer id (`export leads`); a value that is not a UUID counts as an external id.
    Id,
    ExternalId,
    Name,
    FirstName,
    LastName,
    Email,
    Phone,
    Mobile,
    Company,
    JobTitle,
    Location,
    Industry,
    Pipeline,
    Stage,
    Owner,
    Source,
    LeadSource,
    Score,
    Tags,
    LastContactedAt,
    /// Why a lead in a lost stage was lost (a lead cannot be created there without one).
    LostReason,
    /// Known and deliberately not imported (derived or database-owned columns).
    Ignore,
}

impl Field {
    pub const ALL: [Field; 22] = [
        Field::Id,
        Field::ExternalId,
        Field::Name,
        Field::FirstName,
        Field::LastName,
        Field::Email,
        Field::Phone,
        Field::Mobile,
        Field::Company,
        Field::JobTitle,
        Field::Location,
        Field::Industry,
        Field::Pipeline,
        Field::Stage,
        Field::Owner,
        Field::Source,
        Field::LeadSource,
        Field::Score,
        Field::Tags,
        Field::LastContactedAt,
        Field::LostReason,
        Field::Ignore,
    ];

    /// The name `--map` takes (and `export leads` writes).
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::ExternalId => "external_id",
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Mobile => "mobile",
            Field::Company => "company",
            Field::JobTitle => "job_title",
            Field::Location => "location",
            Field::Industry => "industry",
            Field::Pipeline => "pipeline",
            Field::Stage => "stage",
            Field::Owner => "owner",
            Field::Source => "source",
            Field::LeadSource => "lead_source",
            Field::Score => "score",
            Field::Tags => "tags",
            Field::LastContactedAt => "last_contacted_at",
            Field::LostReason => "lost_reason",
            Field::Ignore => "ignore",
        }
    }

    /// Header spellings, normalised (lowercase letters and digits only).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Id => &["id", "closerid"],
            Field::ExternalId => &[
                "externalid",
                "externalleadid",
                "recordid",
                "leadid",
                "contactid",
                "personid",
            ],
            Field::Name => &[
                "name",
                "fullname",
                "leadname",
                "contactname",
                "personname",
                "contact",
            ],
            Field::FirstName => &["firstname", "givenname", "namefirstname"],
            Field::LastName => &["lastname", "surname", "familyname", "namelastname"],
            Field::Email => &[
                "email",
                "emailaddress",
                "email1",
                "workemail",
                "primaryemail",
                "personemail",
                "personemailwork",
                "emailwork",
                "emailsprimaryemail",
                "emails",
            ],
            Field::Phone => &[
                "phone",
                "phonenumber",
                "telephone",
                "tel",
                "workphone",
                "businessphone",
                "officephone",
                "personphone",
                "personphonework",
                "phonework",
                "phonesprimaryphonenumber",
                "phones",
            ],
            Field::Mobile => &[
                "mobile",
                "mobilephone",
                "mobilephonenumber",
                "mobilenumber",
                "cell",
                "cellphone",
                "personphonemobile",
                "phonemobile",
            ],
            Field::Company => &[
                "company",
                "companyname",
                "organization",
                "organisation",
                "organizationname",
                "account",
                "accountname",
                "personorganization",
                "associatedcompany",
                "employer",
            ],
            Field::JobTitle => &["jobtitle", "title", "position", "role", "personjobtitle"],
            Field::Location => &[
                "location",
                "city",
                "address",
                "personaddress",
                "mailingcity",
            ],
            Field::Industry => &["industry"],
            Field::Pipeline => &["pipeline"],
            Field::Stage => &[
                "stage",
                "leadstatus",
                "status",
                "pipelinestage",
                "dealstage",
            ],
            Field::Owner => &[
                "owner",
                "owneremail",
                "leadowner",
                "contactowner",
                "hubspotowner",
                "assignedto",
                "assignee",
                "salesrep",
                "personowner",
                "accountowner",
            ],
            Field::Source => &["source", "originalsource"],
            Field::LeadSource => &["leadsource"],
            Field::Score => &["score", "leadscore", "hubspotscore"],
            Field::Tags => &[
                "tags",
                "tag",
                "labels",
                "label",
                "personlabels",
                "personlabel",
            ],
            Field::LastContactedAt => &[
                "lastcontactedat",
                "lastcontacted",
                "lastcontact",
                "lastcontactdate",
                "lastcontacteddate",
                "lastactivitydate",
                "lastactivity",
            ],
            // Pipedrive "Lost reason" (also "Deal - Lost reason"), HubSpot "Closed lost reason".
            Field::LostReason => &[
                "lostreason",
                "deallostreason",
                "closedlostreason",
                "reasonlost",
            ],
            Field::Ignore => &[
                "ownername",
                "createdat",
                "updatedat",
                "version",
                "closererror",
            ],
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        let key = normalise(name);
        Field::ALL.into_iter().find(|f| normalise(f.name()) == key)
    }
}

/// "Person - E-mail (Work)" → "personemailwork".
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// What each column of the file is: a field, or `None` (not imported, listed in the report).
pub fn map_headers(headers: &[String], overrides: &[String]) -> Result<Vec<Option<Field>>> {
    let mut mapped: Vec<Option<Field>> = headers
        .iter()
        .map(|h| {
            let key = normalise(h);
            Field::ALL
                .into_iter()
                .find(|f| f.aliases().contains(&key.as_str()))
        })
        .collect();
    for spec in overrides {
        let (column, field) = spec.rsplit_once('=').ok_or_else(|| {
            Fail::bad_input(format!(
                "--map takes \"Column=field\", not {:?}",
                clean_line(spec)
            ))
        })?;
        let field = Field::parse(field).ok_or_else(|| {
            let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
            Fail::bad_input(format!(
                "--map {:?}: unknown field {:?} (fields: {})",
                clean_line(spec),
                clean_line(field),
                names.join(", ")
            ))
        })?;
        let index = headers
            .iter()
            .position(|h| h.trim() == column.trim())
            .or_else(|| {
                headers
                    .iter()
                    .position(|h| normalise(h) == normalise(column))
            })
            .ok_or_else(|| {
                Fail::bad_input(format!(
                    "--map {:?}: the file has no column {:?}",
                    clean_line(spec),
                    clean_line(column)
                ))
            })?;
        mapped[index] = Some(field);
    }
    // A field taken by two columns: the first one wins, unless --map chose otherwise.
    let mut seen = Vec::new();
    for slot in mapped.iter_mut() {
        if let Some(field) = *slot {
            if field != Field::Ignore && seen.contains(&field) {
                *slot = None;
            } else {
                seen.push(field);
            }
        }
    }
    if !seen.contains(&Field::Name)
        && !seen.contains(&Field::FirstName)
        && !seen.contains(&Field::LastName)
    {
        return Err(Fail::bad_input(format!(
            "no column holds the lead's name (columns: {}); use --map \"Column=name\"",
            clean_line(&headers.join(", "))
        )));
    }
    Ok(mapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[&str]) -> Vec<Option<&'static str>> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        map_headers(&headers, &[])
            .expect("maps")
            .into_iter()
            .map(|f| f.map(Field::name))
            .collect()
    }

    #[test]
    fn exports_of_other_crms_map_to_fields() {
        // Pipedrive
        assert_eq!(
            map(&[
                "Person - Name",
                "Person - Email - Work",
                "Person - Phone - Work",
                "Person - Organization",
                "Person - Labels"
            ]),
            [
                Some("name"),
                Some("email"),
                Some("phone"),
                Some("company"),
                Some("tags")
            ]
        );
        // HubSpot
        assert_eq!(
            map(&[
                "Record ID",
                "First Name",
                "Last Name",
                "Email",
                "Phone Number",
                "Company Name",
                "Contact owner",
                "Lead Status"
            ]),
            [
                Some("external_id"),
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("phone"),
                Some("company"),
                Some("owner"),
                Some("stage")
            ]
        );
        // Salesforce
        assert_eq!(
            map(&[
                "Lead ID",
                "First Name",
                "Last Name",
                "Title",
                "Company",
                "Mobile Phone",
                "Lead Source",
                "Lead Owner"
            ]),
            [
                Some("external_id"),
                Some("first_name"),
                Some("last_name"),
                Some("job_title"),
                Some("company"),
                Some("mobile"),
                Some("lead_source"),
                Some("owner")
            ]
        );
        // Twenty
        assert_eq!(
            map(&[
                "Name / First Name",
                "Name / Last Name",
                "Emails / Primary Email",
                "Phones / Primary Phone Number",
                "City"
            ]),
            [
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("phone"),
                Some("location")
            ]
        );
        // The lost reason: Pipedrive, HubSpot, Closer's own export (the first such column wins).
        assert_eq!(
            map(&[
                "Name",
                "Deal - Lost reason",
                "Closed lost reason",
                "lost_reason"
            ]),
            [Some("name"), Some("lost_reason"), None, None]
        );
        assert_eq!(
            map(&["Name", "Closed Lost Reason"]),
            [Some("name"), Some("lost_reason")]
        );
        // Unknown columns are left out, not an error.
        assert_eq!(map(&["Name", "Favourite colour"]), [Some("name"), None]);
    }

    #[test]
    fn overrides_win_and_a_file_without_names_is_refused() {
        let headers = vec!["Kontakt".to_string(), "Mail".to_string()];
        let mapped =
            map_headers(&headers, &["Kontakt=name".into(), "Mail=email".into()]).expect("maps");
        assert_eq!(mapped, [Some(Field::Name), Some(Field::Email)]);
        assert!(map_headers(&headers, &[]).is_err());
        assert!(map_headers(&headers, &["Kontakt=nonsense".into()]).is_err());
    }
}
