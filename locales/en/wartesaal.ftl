# wartesaal's words in English. This file is the reference: every language has the same
# message ids, and a message may use only the variables its English one is given.
# An operator overrides any message, or adds a language, with files in `locales_dir`
# (docs/configuration.md, "Languages").

## The language itself

# Its own name, in the language menu.
language-name = English
# The menu's label, for screen readers.
language-menu = Language

## The waiting page

waiting-title = You are in the queue
your-number = Your place in the queue
# $count: people ahead (0 is "you are next").
ahead = { $count ->
    [0] You are next.
    [one] There is { $count } person ahead of you.
   *[other] There are { $count } people ahead of you.
}
# $wait: the wait in words ("about 20–30 minutes").
estimate = Estimated wait: { $wait }.
keep-open = Please keep this page open. You do not need to refresh it: it updates by itself.
your-turn = When it is your turn you will be taken to the booking site automatically. You keep your place even if you reload the page.
admitted = It is your turn. Loading the page …
updated = Last updated at
refreshes = You do not need to refresh: the page updates by itself.

## While nobody is let in

paused-title = Admission is paused for a moment
paused-body = You keep your place in the queue. When admission resumes you move up automatically. Please keep this page open.
held-title = Admission has stopped for a moment
held-body = Your place is kept and nobody moves ahead of you. It will go on shortly; this page checks by itself. Please keep it open.
closed-title = No appointments are left at the moment
closed-body = All available appointments have been given out. There is no point in waiting right now. If new appointments are released, this page will say so.
sold-out-title = All appointments have been booked
sold-out-body = No appointment is free at the moment. There is no point in waiting right now.
last-title = The last appointments are being booked
last-body = The people on the booking site right now are booking the last appointments. If one is left, you are next. You will know within minutes, on this page. Your place is kept.

## Before the opening

before-title = Booking has not opened yet
# $when: the opening's day and time.
opens-on = Booking opens on { $when }.
# $from: when the pre-queue begins; $open: the opening's time of day.
prequeue-invite = From { $from } you can join the queue here. Everyone who is here by { $open } gets a place in random order: coming early or just before { $open } makes no difference.
prequeue-title = You are in the pre-queue
prequeue-body = Booking opens at { $open }. Then everyone who is here by then gets a place in random order. Being early gives no advantage. Please keep this page open: at { $open } it will show you your place.
# $count: tickets in the pre-queue so far.
prequeue-size = { $count ->
    [one] Here already: { $count } person
   *[other] Here already: { $count } people
}
opens-in = Opening in { $wait }.

## The puzzle against automated programs

pow-title = One moment, please
pow-working = Your browser is solving a small puzzle that keeps automated programs out. This usually takes only a few seconds; then you get your place in the queue. Please keep this page open.
pow-needs-script = This queue needs JavaScript: while demand is high it checks every new visitor with a small puzzle in the browser. Please turn JavaScript on and reload the page.

## The busy and the limited page

busy-title = The booking site is busy right now
busy-body = Your place is kept. We will try again automatically in a few seconds. Please do not close this page.
limited-title = Too many new queue tickets
# $seconds: when the page tries again.
limited-body = A great many new queue tickets were taken from your internet connection in the last minute. Please bear with us: the page tries again by itself in { $seconds ->
    [one] { $seconds } second
   *[other] { $seconds } seconds
}. Anyone who already has a ticket keeps their place.

## What is left to book

sold-out-kept = You keep your place all the same: if appointments are given back or new ones are released, the queue goes on in its order, and this page will show you.
# $count: appointments left, exact.
supply-left = { $count ->
    [one] There is { $count } appointment still free.
   *[other] There are { $count } appointments still free.
}
# $count: appointments left, rounded (100 and more).
supply-about = { $count ->
    [one] There is about { $count } appointment still free.
   *[other] There are about { $count } appointments still free.
}
chance-likely = It is likely that appointments will still be free when it is your turn.
chance-uncertain = It cannot yet be said for sure whether appointments will still be free when it is your turn.
chance-unlikely = It is unlikely that appointments will still be free when it is your turn.
chance-unknown = The queue does not know yet how many of those waiting will book. An estimate of your chances follows in a few minutes.
unlikely-advice = You can keep waiting all the same: if an appointment is given back, you move up. You keep your place.
# $when: the day and time new appointments are expected.
next-release = New appointments are expected to be released on { $when }.
release-in = Release in { $wait }.
release-due = New appointments are expected any moment.

## Waits in words

wait-under-minute = less than a minute
# $duration: "25 minutes", "1 hour 10 minutes".
wait-about = about { $duration }
wait-up-to = up to { $duration }
# $low and $high: minutes, both under an hour.
wait-minutes-range = { $high ->
    [one] about { $low }–{ $high } minute
   *[other] about { $low }–{ $high } minutes
}
wait-between = between { $low } and { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
duration-hours = { $hours ->
    [one] { $hours } hour
   *[other] { $hours } hours
}
# $hours and $minutes: the two above.
duration-hours-minutes = { $hours } { $minutes }

## Days and times

# $time: hours and minutes, "08:00".
time-of-day = { $time }
# $day: 1 is Monday, 7 Sunday.
weekday = { $day ->
    [1] Monday
    [2] Tuesday
    [3] Wednesday
    [4] Thursday
    [5] Friday
    [6] Saturday
   *[7] Sunday
}
# $month: 1 to 12, as it stands in a date.
month = { $month ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
}
# "Saturday 27 March 2021 at 08:00": $weekday and $month from above, $time from time-of-day.
day-and-time = { $weekday } { $day } { $month } { $year } at { $time }

## The place code and the form that takes it back

code-label = Your place code
code-explain = Write it down: with this code you get your place back in another browser or on another device.
restore-title = Get your place back
restore-intro = Enter the place code the waiting page showed you. You get the same place in the queue back, not a better one. Case, spaces and dashes do not matter.
restore-field = Place code
restore-submit = Get my place back
restore-malformed = A place code has 16 characters, digits and letters. Please check what you entered.
restore-unknown = We do not know this place code. Please check every character.
restore-lapsed = This place was called and has lapsed since. You can join the queue again.
restore-limited = Too many attempts came from your connection just now. Please wait a minute.
restore-link = The link from your e-mail has expired, and your place has lapsed since. The place code from the same e-mail cannot bring it back either. You can join the queue again.

## The invitation form

invite-title = Enter your invitation code
invite-intro = This queue is for invited people. Enter the code from your invitation letter. If you entered it before, you get the same place back. Case, spaces and dashes do not matter.
invite-field = Invitation code
invite-submit = Continue to the queue
invite-malformed = An invitation code has 18 characters, digits and letters. Please check what you entered.
invite-unknown = We do not know this invitation code. Please check every character.
invite-expired = This invitation code has expired.
invite-used = This invitation code drew a place already, and that place has lapsed since.

## The e-mail field and its answer

notify-label = Get an e-mail when it is your turn
notify-explain = You need not wait at the screen: we send you one e-mail shortly before it is your turn. Its link brings you back to your place.
notify-field = Your e-mail address
notify-submit = Notify me
notify-privacy = We keep your address only until this one e-mail is sent, then delete it.
notify-thanks = We will write to you
# $address: the e-mail address entered.
notify-thanks-text = Shortly before it is your turn we send an e-mail to { $address }. You may close this page now; your place stays yours.
notify-back = Back to the waiting page
notify-invalid = That does not look like an e-mail address. Please check what you entered.
notify-already = We have already sent the e-mail for this place. We write only once.
notify-limited = Too many sign-ups came from your connection or for this address just now. Please try again in an hour, or keep this page open.
notify-no-place = You have no place in the queue yet. Please open the waiting page first.
notify-called = It is your turn already. Open the waiting page and you will be let in.
notify-unavailable = We cannot take an address just now. Please keep the waiting page open.

## The e-mail

# $site: the room's title.
letter-subject-soon = It is nearly your turn: { $site }
letter-subject-now = It is your turn: { $site }
letter-soon = You are waiting in the queue of “{ $site }”, and it is nearly your turn.
letter-now = You are waiting in the queue of “{ $site }”, and it is your turn now.
letter-link = Open this link to go back to your place. As soon as it is your turn, you are let in:
# $when: a day and time.
letter-until = The link holds your place until { $when }. After that it lapses.
letter-code = Your place code: { $code }
letter-footer = We deleted your e-mail address when we sent this message. It was sent automatically; nobody reads replies to it.
letter-subject-sold-out = All appointments have been booked: { $site }
letter-sold-out = You are waiting in the queue of “{ $site }”. Sadly, all appointments have been booked in the meantime. There is no point in waiting right now.
letter-subject-closed = Booking has ended: { $site }
letter-closed = You were waiting in the queue of “{ $site }”. Booking has ended and no appointments are left. There is no point in waiting on.
letter-kept = If appointments are given back, this link takes you back to your place:
letter-message = A note from the organisers: { $text }

## The questions before the line

questions-title = Before you join the queue
questions-intro = Please answer these questions. That way you learn at once whether waiting is worth it for you, not after hours. Your answers are not stored; the booking site checks for itself later.
answer-yes = Yes
answer-no = No
questions-submit = Continue to the queue
questions-incomplete = Please answer every question with yes or no.
questions-stale = The form had expired. Please answer the questions again.
refused-title = You cannot book an appointment here
refused-intro = From your answers, waiting in this queue would not help you:
# What a "no" is told when the operator wrote nothing of their own in this language.
refused-otherwise = Then you cannot book an appointment here, and waiting in this queue would not help you.
change-answers = Change my answers

## The way back, and the edges of the morning

# Beside the questions, the invitation form and a page without a place: the way back.
have-place = Already have a place in the queue – from another device, or did you leave your e-mail address? Your place code gives you that place back. It is on your waiting page and in our e-mail.
# The link on pages that say one can join the queue again.
join-again = Join the queue again
# A place brought again after it got in as often as one may (an e-mail's link tapped in a mail program).
used-up-title = This place has been used already
used-up-body = This place has been let in to the booking site as often as one place may be, in several browsers or apps. Mail programs often open links in a browser of their own, so every tap on the link counts.
used-up-code = If the booking site is still open in another window, app or device, please carry on there. The place code and the link in the e-mail lead to this same place, so they cannot let you in once more.
notify-not-ascii = Addresses with ä, ö, ü or other special letters before the @ cannot be used: many mail servers do not deliver them. Please give another address. Special letters after the @ are fine.
# $address: the new address, as entered.
notify-replaced-text = We noted the new address: { $address }. The earlier one is deleted. Shortly before it is your turn we send one e-mail there.
notify-changes-used = The address for this place has been changed as often as it can be. The e-mail goes to the address given last.
# $code: the place code.
notify-code = Your place code: { $code }. Write it down: with it you get your place back on any device, even before our e-mail comes.
# $address: the address noted, partly hidden ("ma…@example.org").
notify-noted = The e-mail goes to { $address }. If that is wrong, enter the right address here.
# The e-mail form's button once an address is noted.
notify-change = Change address
