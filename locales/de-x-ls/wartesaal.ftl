# wartesaal in Leichter Sprache: kurze Sätze, ein Gedanke je Satz, kein Passiv, keine
# Abkürzungen. Die Nachrichten und ihre Variablen sind dieselben wie in
# locales/en/wartesaal.ftl.

language-name = Leichte Sprache
language-menu = Sprache

## Die Warte-Seite

waiting-title = Sie warten jetzt
your-number = Ihr Platz in der Reihe
ahead = { $count ->
    [0] Sie sind als Nächstes dran.
    [one] Vor Ihnen wartet noch { $count } Mensch.
   *[other] Vor Ihnen warten noch { $count } Menschen.
}
estimate = So lange warten Sie noch: { $wait }.
keep-open = Lassen Sie diese Seite offen. Die Seite zeigt alles Neue von allein.
your-turn = Irgendwann sind Sie dran. Dann bringt Sie die Seite von allein zur Buchung. Sie behalten Ihren Platz. Das gilt auch, wenn Sie die Seite neu laden.
admitted = Jetzt sind Sie dran. Die Seite lädt gleich.
updated = Die Seite hat nachgeschaut um
refreshes = Die Seite zeigt alles Neue von allein.

## Niemand kommt gerade hinein

paused-title = Gerade kommt niemand hinein
paused-body = Sie behalten Ihren Platz. Bald geht es weiter. Dann rücken Sie von allein vor. Lassen Sie diese Seite offen.
held-title = Es geht gerade kurz nicht weiter
held-body = Sie behalten Ihren Platz. Niemand kommt vor Ihnen dran. Gleich geht es weiter. Die Seite schaut von allein nach. Lassen Sie die Seite offen.
closed-title = Es gibt gerade keine Termine
closed-body = Alle Termine sind weg. Warten hilft gerade nicht. Vielleicht gibt es später neue Termine. Dann steht das auf dieser Seite.
sold-out-title = Alle Termine sind weg
sold-out-body = Es gibt gerade keinen freien Termin. Warten hilft gerade nicht.
last-title = Die letzten Termine sind bald weg
last-body = Gerade buchen andere Menschen die letzten Termine. Vielleicht bleibt ein Termin frei. Dann sind Sie als Nächstes dran. In ein paar Minuten wissen Sie es. Diese Seite sagt es Ihnen. Ihr Platz bleibt Ihnen.

## Bevor es losgeht

before-title = Sie können noch nicht buchen
opens-on = Sie können ab diesem Tag buchen: { $when }.
prequeue-invite = Ab { $from } können Sie hier warten. Dann bekommen Sie einen Platz. Alle bekommen einen Platz, die bis { $open } hier sind. Die Plätze verteilt ein Zufall. Früh kommen bringt nichts. Kommen Sie einfach bis { $open }.
prequeue-title = Sie warten schon vor dem Start
prequeue-body = Um { $open } geht die Buchung los. Dann bekommen alle einen Platz. Die Plätze verteilt ein Zufall. Früh kommen bringt nichts. Lassen Sie diese Seite offen. Um { $open } zeigt die Seite Ihren Platz.
prequeue-size = { $count ->
    [one] Schon hier: { $count } Mensch
   *[other] Schon hier: { $count } Menschen
}
opens-in = So lange dauert es bis zum Start: { $wait }.

## Die kleine Aufgabe gegen Computer-Programme

pow-title = Bitte warten Sie kurz
pow-working = Ihr Browser löst gerade eine kleine Aufgabe. Die Aufgabe hält Computer-Programme fern. Das dauert nur ein paar Sekunden. Dann bekommen Sie Ihren Platz. Lassen Sie die Seite offen.
pow-needs-script = Diese Seite braucht JavaScript. JavaScript ist ein Teil von Ihrem Browser. Schalten Sie JavaScript bitte ein. Laden Sie die Seite dann neu.

## Zu viel los

busy-title = Auf der Buchungs-Seite ist gerade zu viel los
busy-body = Sie behalten Ihren Platz. Die Seite versucht es gleich noch einmal. Machen Sie die Seite bitte nicht zu.
limited-title = Zu viele neue Warte-Nummern
limited-body = Ihr Internet-Anschluss hat gerade sehr viele Warte-Nummern geholt. Bitte warten Sie kurz. Die Seite versucht es noch einmal. Das passiert in { $seconds ->
    [one] { $seconds } Sekunde
   *[other] { $seconds } Sekunden
}. Haben Sie schon eine Warte-Nummer? Dann behalten Sie Ihren Platz.

## Freie Termine

sold-out-kept = Sie behalten trotzdem Ihren Platz. Vielleicht gibt jemand einen Termin zurück. Vielleicht gibt es neue Termine. Dann geht es in der gleichen Reihe weiter. Das sehen Sie auf dieser Seite.
supply-left = { $count ->
    [one] Es gibt noch { $count } freien Termin.
   *[other] Es gibt noch { $count } freie Termine.
}
supply-about = { $count ->
    [one] Es gibt noch ungefähr { $count } freien Termin.
   *[other] Es gibt noch ungefähr { $count } freie Termine.
}
chance-likely = Wahrscheinlich gibt es noch Termine, wenn Sie dran sind.
chance-uncertain = Vielleicht gibt es noch Termine, wenn Sie dran sind. Das wissen wir noch nicht sicher.
chance-unlikely = Wahrscheinlich gibt es keine Termine mehr, wenn Sie dran sind.
chance-unknown = Wir wissen noch nicht: Wie viele Menschen buchen einen Termin? In ein paar Minuten wissen wir mehr. Dann steht hier mehr.
unlikely-advice = Sie können trotzdem warten. Vielleicht gibt jemand einen Termin zurück. Dann rücken Sie vor. Sie behalten Ihren Platz.
next-release = Neue Termine gibt es wahrscheinlich ab: { $when }.
release-in = So lange dauert es bis zu neuen Terminen: { $wait }.
release-due = Neue Termine kommen gleich.

## Wartezeit in Worten

wait-under-minute = weniger als 1 Minute
wait-about = ungefähr { $duration }
wait-up-to = höchstens { $duration }
wait-minutes-range = { $high ->
    [one] ungefähr { $low } bis { $high } Minute
   *[other] ungefähr { $low } bis { $high } Minuten
}
wait-between = { $low } bis { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } Minute
   *[other] { $minutes } Minuten
}
duration-hours = { $hours ->
    [one] { $hours } Stunde
   *[other] { $hours } Stunden
}
duration-hours-minutes = { $hours } und { $minutes }

## Tage und Uhrzeiten

time-of-day = { $time } Uhr
weekday = { $day ->
    [1] Montag
    [2] Dienstag
    [3] Mittwoch
    [4] Donnerstag
    [5] Freitag
    [6] Samstag
   *[7] Sonntag
}
month = { $month ->
    [1] Januar
    [2] Februar
    [3] März
    [4] April
    [5] Mai
    [6] Juni
    [7] Juli
    [8] August
    [9] September
    [10] Oktober
    [11] November
   *[12] Dezember
}
day-and-time = { $weekday }, { $day }. { $month } { $year }, um { $time }

## Der Platz-Code

code-label = Ihr Platz-Code
code-explain = Schreiben Sie den Code auf. Mit dem Code bekommen Sie Ihren Platz zurück. Das geht auch auf einem anderen Gerät.
restore-title = Platz zurück-holen
restore-intro = Schreiben Sie hier Ihren Platz-Code hin. Die Warte-Seite hat Ihnen den Code gezeigt. Sie bekommen Ihren alten Platz zurück. Große und kleine Buchstaben sind egal. Leer-Zeichen und Striche sind auch egal.
restore-field = Platz-Code
restore-submit = Platz zurück-holen
restore-malformed = Ein Platz-Code hat 16 Zeichen. Das sind Zahlen und Buchstaben. Bitte schauen Sie noch einmal nach.
restore-unknown = Wir kennen diesen Platz-Code nicht. Bitte prüfen Sie jedes Zeichen.
restore-lapsed = Sie waren mit diesem Platz schon dran. Jetzt gilt der Platz nicht mehr. Sie können sich neu anstellen.
restore-limited = Ihr Anschluss hat es gerade zu oft versucht. Bitte warten Sie 1 Minute.
restore-link = Der Link aus Ihrer E-Mail gilt nicht mehr. Ihr Platz gilt auch nicht mehr. Auch der Platz-Code aus der E-Mail hilft nicht mehr. Sie können sich neu anstellen.

## Die Einladung

invite-title = Einladungs-Code eingeben
invite-intro = Hier warten nur eingeladene Menschen. Sie haben einen Brief bekommen. In dem Brief steht ein Code. Schreiben Sie den Code hier hin. Haben Sie den Code schon einmal benutzt? Dann bekommen Sie den gleichen Platz zurück. Große und kleine Buchstaben sind egal.
invite-field = Einladungs-Code
invite-submit = Weiter zum Warten
invite-malformed = Ein Einladungs-Code hat 18 Zeichen. Das sind Zahlen und Buchstaben. Bitte schauen Sie noch einmal nach.
invite-unknown = Wir kennen diesen Einladungs-Code nicht. Bitte prüfen Sie jedes Zeichen.
invite-expired = Dieser Einladungs-Code gilt nicht mehr. Die Zeit ist um.
invite-used = Mit diesem Einladungs-Code hat schon jemand gewartet. Der Platz gilt jetzt nicht mehr.

## E-Mail

notify-label = Eine E-Mail bekommen
notify-explain = Sie müssen nicht vor dem Bildschirm warten. Wir schicken Ihnen eine E-Mail. Das machen wir kurz bevor Sie dran sind. In der E-Mail ist ein Link. Der Link bringt Sie zu Ihrem Platz zurück.
notify-field = Ihre E-Mail-Adresse
notify-submit = E-Mail bestellen
notify-privacy = Wir schicken nur diese eine E-Mail. Danach löschen wir Ihre Adresse.
notify-thanks = Wir schreiben Ihnen
notify-thanks-text = Wir schicken eine E-Mail an { $address }. Das machen wir kurz bevor Sie dran sind. Sie können diese Seite jetzt zumachen. Sie behalten Ihren Platz.
notify-back = Zurück zur Warte-Seite
notify-invalid = Das ist keine E-Mail-Adresse. Bitte schauen Sie noch einmal nach.
notify-already = Wir haben die E-Mail für diesen Platz schon geschickt. Wir schreiben nur 1 Mal.
notify-limited = Gerade kamen zu viele Anfragen. Bitte versuchen Sie es in 1 Stunde noch einmal. Oder lassen Sie die Seite offen.
notify-no-place = Sie haben noch keinen Platz. Öffnen Sie zuerst die Warte-Seite.
notify-called = Sie sind schon dran. Öffnen Sie die Warte-Seite. Dann kommen Sie hinein.
notify-unavailable = Gerade können wir keine E-Mail-Adresse annehmen. Lassen Sie bitte die Warte-Seite offen.

## Die E-Mail

letter-subject-soon = Sie sind bald dran: { $site }
letter-subject-now = Sie sind jetzt dran: { $site }
letter-soon = Sie warten bei „{ $site }“. Sie sind bald dran.
letter-now = Sie warten bei „{ $site }“. Sie sind jetzt dran.
letter-link = Öffnen Sie diesen Link. Dann kommen Sie zu Ihrem Platz zurück. Sind Sie dran? Dann kommen Sie hinein.
letter-until = Der Link gilt bis: { $when }. Danach gilt der Link nicht mehr.
letter-code = Ihr Platz-Code: { $code }
letter-footer = Wir haben Ihre E-Mail-Adresse jetzt gelöscht. Ein Computer hat diese E-Mail geschickt. Antworten liest niemand.
letter-subject-sold-out = Es gibt keine Termine mehr: { $site }
letter-sold-out = Sie warten bei „{ $site }“. Es gibt jetzt keine Termine mehr. Alle Termine sind weg. Warten hilft im Moment nicht.
letter-subject-closed = Die Termin-Vergabe ist zu Ende: { $site }
letter-closed = Sie haben bei „{ $site }“ gewartet. Die Termin-Vergabe ist jetzt zu Ende. Es gibt keine Termine mehr. Warten hilft nicht.
letter-kept = Vielleicht gibt jemand einen Termin zurück. Dann kommen Sie mit diesem Link zurück auf Ihren Platz:
letter-message = Eine Nachricht von den Veranstaltern: { $text }

## Fragen vor dem Warten

questions-title = Bevor Sie warten
questions-intro = Bitte beantworten Sie diese Fragen. Dann wissen Sie gleich: Lohnt sich das Warten für Sie? Wir speichern Ihre Antworten nicht. Die Buchungs-Seite prüft später alles selbst.
answer-yes = Ja
answer-no = Nein
questions-submit = Weiter zum Warten
questions-incomplete = Bitte antworten Sie bei jeder Frage mit Ja oder Nein.
questions-stale = Das Formular ist zu alt. Bitte beantworten Sie die Fragen noch einmal.
refused-title = Hier können Sie keinen Termin buchen
refused-intro = Sie haben geantwortet. Das Warten hilft Ihnen hier leider nicht. Der Grund:
refused-otherwise = Dann können Sie hier keinen Termin buchen. Warten hilft Ihnen hier nicht.
change-answers = Antworten ändern

## The way back, and the edges of the morning

have-place = Haben Sie schon einen Platz? Zum Beispiel auf einem anderen Gerät? Oder haben Sie uns Ihre E-Mail-Adresse gegeben? Dann holen Sie Ihren Platz mit dem Platz-Code zurück. Der Platz-Code steht auf Ihrer Warte-Seite. Und in unserer E-Mail.
join-again = Neu anstellen
used-up-title = Dieser Platz war schon dran
used-up-body = Mit diesem Platz waren Sie schon auf der Buchungs-Seite. Das geht nur ein paar Mal. Das war schon in mehreren Browsern oder Apps. Ein E-Mail-Programm öffnet Links oft in einem eigenen Browser. Dann zählt jedes Tippen auf den Link.
used-up-code = Ist die Buchungs-Seite noch offen? Zum Beispiel in einem anderen Fenster oder auf einem anderen Gerät? Dann machen Sie bitte dort weiter. Der Platz-Code und der Link führen zu diesem Platz. Damit kommen Sie nicht noch einmal hinein.
notify-not-ascii = Vor dem @ darf kein ä, ö oder ü stehen. Auch keine anderen besonderen Buchstaben. Viele E-Mail-Server schicken solche E-Mails nicht. Bitte schreiben Sie eine andere Adresse hin. Nach dem @ ist ä, ö oder ü kein Problem.
notify-replaced-text = Wir haben die neue Adresse: { $address }. Die alte Adresse haben wir gelöscht. Wir schicken eine E-Mail an die neue Adresse. Das machen wir kurz bevor Sie dran sind.
notify-changes-used = Sie haben die Adresse schon oft geändert. Öfter geht es nicht. Die E-Mail geht an die letzte Adresse.
notify-code = Ihr Platz-Code: { $code }. Schreiben Sie den Code auf. Mit dem Code bekommen Sie Ihren Platz zurück. Das geht auf jedem Gerät. Auch bevor unsere E-Mail kommt.
notify-noted = Die E-Mail geht an { $address }. Ist die Adresse falsch? Dann schreiben Sie hier die richtige Adresse hin.
notify-change = Adresse ändern
