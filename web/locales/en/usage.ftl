# Usage of the portal per agency (I617 §22)
usage-title = Usage of the portal
usage-days = Usage by day
usage-weeks = Usage by week
usage-day = Day
usage-week = Week from
usage-total = Total
usage-active-users = Active users
usage-sign-ins = Sign-ins
usage-documents = Documents posted
usage-actions = Workflow actions
usage-unknown-agency = No agency has this code. Choose an agency from the list.
usage-period-order = The period starts after it ends. Give a start no later than the end.
usage-period-too-long = The period is longer than 366 days. Give a shorter period.
