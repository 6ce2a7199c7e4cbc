//! A training request, its sessions and attendance, without I/O.

use serde::{Deserialize, Serialize};

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Asked, no session yet.
    Requested,
    /// At least one session is scheduled.
    Scheduled,
    /// Attendance is recorded for every session.
    Completed,
    /// Declined by the support service, with a reason.
    Declined,
}

impl Status {
    pub const ALL: &'static [Status] =
        &[Status::Requested, Status::Scheduled, Status::Completed, Status::Declined];

    pub fn name(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Scheduled => "scheduled",
            Status::Completed => "completed",
            Status::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.iter().copied().find(|x| x.name() == s.trim())
    }

    pub fn message_key(self) -> String {
        format!("training-status-{}", self.name())
    }

    pub fn is_settled(self) -> bool {
        matches!(self, Status::Completed | Status::Declined)
    }
}

/// One session: when, where (a room or a link), how many seats, who is invited and, once
/// recorded, who came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// 1, 2, … within the request.
    pub no: u32,
    /// UTC, stored form.
    pub starts: String,
    pub minutes: u32,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub link: String,
    pub capacity: u32,
    pub invited: Vec<u64>,
    /// `None` until attendance is recorded.
    #[serde(default)]
    pub attended: Option<Vec<u64>>,
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub by: u64,
    pub to: Status,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRequest {
    pub id: u64,
    pub agency_id: u64,
    pub requested_by: u64,
    pub topic: String,
    /// The employees to be trained (accounts of the agency).
    pub trainees: Vec<u64>,
    /// When the agency would like it, in its own words.
    #[serde(default)]
    pub preferred: String,
    #[serde(default)]
    pub note: String,
    pub status: Status,
    #[serde(default)]
    pub reason: String,
    pub sessions: Vec<Session>,
    pub steps: Vec<Step>,
    pub created: String,
    pub updated: String,
}

/// Where one trainee stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraineeStatus {
    /// Not invited to any session yet.
    Waiting,
    /// Invited to a session whose attendance is not recorded yet.
    Invited,
    Attended,
    /// Invited, attendance recorded, not there.
    Absent,
}

impl TraineeStatus {
    pub fn message_key(self) -> &'static str {
        match self {
            TraineeStatus::Waiting => "training-trainee-waiting",
            TraineeStatus::Invited => "training-trainee-invited",
            TraineeStatus::Attended => "training-trainee-attended",
            TraineeStatus::Absent => "training-trainee-absent",
        }
    }
}

impl TrainingRequest {
    /// Trainees not invited to any session yet, in the request's order.
    pub fn not_invited(&self) -> Vec<u64> {
        self.trainees
            .iter()
            .copied()
            .filter(|t| !self.sessions.iter().any(|s| s.invited.contains(t)))
            .collect()
    }

    /// A trainee's standing: attended any session, else invited to one still open, else
    /// absent from those recorded, else waiting.
    pub fn trainee_status(&self, user: u64) -> TraineeStatus {
        let mine: Vec<&Session> =
            self.sessions.iter().filter(|s| s.invited.contains(&user)).collect();
        if mine.iter().any(|s| s.attended.as_ref().is_some_and(|a| a.contains(&user))) {
            TraineeStatus::Attended
        } else if mine.iter().any(|s| s.attended.is_none()) {
            TraineeStatus::Invited
        } else if mine.is_empty() {
            TraineeStatus::Waiting
        } else {
            TraineeStatus::Absent
        }
    }

    /// Completed once every session's attendance is recorded and every trainee was invited.
    pub fn is_complete(&self) -> bool {
        !self.sessions.is_empty()
            && self.sessions.iter().all(|s| s.attended.is_some())
            && self.not_invited().is_empty()
    }

    pub fn step(&mut self, to: Status, by: u64, at: &str, note: &str) {
        if self.status != to {
            self.steps.push(Step { at: at.to_owned(), by, to, note: note.to_owned() });
        }
        self.status = to;
        self.updated = at.to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> TrainingRequest {
        TrainingRequest {
            id: 1,
            agency_id: 1,
            requested_by: 9,
            topic: "ЭЦП".into(),
            trainees: vec![1, 2, 3],
            preferred: String::new(),
            note: String::new(),
            status: Status::Requested,
            reason: String::new(),
            sessions: Vec::new(),
            steps: Vec::new(),
            created: String::new(),
            updated: String::new(),
        }
    }

    fn session(no: u32, invited: &[u64], attended: Option<&[u64]>) -> Session {
        Session {
            no,
            starts: String::new(),
            minutes: 90,
            place: "каб. 305".into(),
            link: String::new(),
            capacity: 2,
            invited: invited.to_vec(),
            attended: attended.map(<[u64]>::to_vec),
        }
    }

    #[test]
    fn each_trainee_stands_where_their_sessions_put_them() {
        let mut r = request();
        assert_eq!(r.trainee_status(1), TraineeStatus::Waiting);
        r.sessions.push(session(1, &[1, 2], None));
        assert_eq!(r.not_invited(), vec![3]);
        assert_eq!(r.trainee_status(1), TraineeStatus::Invited);
        r.sessions[0].attended = Some(vec![1]);
        assert_eq!(r.trainee_status(1), TraineeStatus::Attended);
        assert_eq!(r.trainee_status(2), TraineeStatus::Absent);
        assert!(!r.is_complete(), "trainee 3 was never invited");
        r.sessions.push(session(2, &[2, 3], None));
        assert_eq!(r.trainee_status(2), TraineeStatus::Invited, "a second chance");
        assert!(!r.is_complete());
        r.sessions[1].attended = Some(vec![2, 3]);
        assert!(r.is_complete());
        assert_eq!(r.trainee_status(2), TraineeStatus::Attended);
    }
}
