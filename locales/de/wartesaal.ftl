# wartesaal auf Deutsch. Die Nachrichten und ihre Variablen sind dieselben wie in
# locales/en/wartesaal.ftl.

language-name = Deutsch
language-menu = Sprache

## Die Warteseite

waiting-title = Sie sind in der Warteschlange
your-number = Ihr Platz in der Warteschlange
ahead = { $count ->
    [0] Sie sind als Nächstes an der Reihe.
    [one] Vor Ihnen ist noch { $count } Person.
   *[other] Vor Ihnen sind noch { $count } Personen.
}
estimate = Geschätzte Wartezeit: { $wait }.
keep-open = Bitte lassen Sie diese Seite geöffnet. Sie müssen die Seite nicht neu laden – sie aktualisiert sich von selbst.
your-turn = Sobald Sie an der Reihe sind, gelangen Sie automatisch zur Buchungsseite. Ihr Platz bleibt erhalten, auch wenn Sie die Seite neu laden.
admitted = Sie sind an der Reihe. Die Seite wird geladen …
updated = Zuletzt aktualisiert um
refreshes = Sie müssen die Seite nicht neu laden – sie aktualisiert sich von selbst.

## Solange niemand eingelassen wird

paused-title = Der Einlass ist vorübergehend unterbrochen
paused-body = Ihr Platz in der Warteschlange bleibt erhalten. Sobald es weitergeht, rücken Sie automatisch nach. Bitte lassen Sie diese Seite geöffnet.
held-title = Der Einlass stockt gerade kurz
held-body = Ihr Platz bleibt erhalten, und niemand zieht an Ihnen vorbei. Es geht gleich weiter; diese Seite schaut von selbst nach. Bitte lassen Sie sie geöffnet.
closed-title = Zurzeit sind keine Termine mehr frei
closed-body = Alle verfügbaren Termine sind vergeben. Es lohnt sich im Moment nicht, weiter zu warten. Wenn neue Termine freigegeben werden, erfahren Sie es auf dieser Seite.
sold-out-title = Alle Termine sind vergeben
sold-out-body = Zurzeit ist kein Termin mehr frei. Es lohnt sich im Moment nicht, weiter zu warten.
last-title = Die letzten Termine werden gerade gebucht
last-body = Die Menschen, die jetzt auf der Buchungsseite sind, buchen gerade die letzten Termine. Bleibt einer frei, sind Sie als Nächstes an der Reihe. Ob es reicht, erfahren Sie in wenigen Minuten auf dieser Seite. Ihr Platz bleibt Ihnen.

## Vor der Öffnung

before-title = Die Buchung ist noch nicht geöffnet
opens-on = Die Buchung öffnet am { $when }.
prequeue-invite = Ab { $from } können Sie sich hier anstellen. Alle, die bis { $open } da sind, bekommen ihren Platz in zufälliger Reihenfolge: Ob Sie früh kommen oder kurz vor { $open }, macht keinen Unterschied.
prequeue-title = Sie sind in der Vorab-Warteschlange
prequeue-body = Um { $open } öffnet die Buchung. Dann bekommen alle, die bis dahin hier sind, einen Platz in zufälliger Reihenfolge. Früher da zu sein bringt keinen Vorteil. Bitte lassen Sie diese Seite geöffnet: Um { $open } zeigt sie Ihnen Ihren Platz.
prequeue-size = { $count ->
    [one] Schon da: { $count } Person
   *[other] Schon da: { $count } Personen
}
opens-in = Öffnung in { $wait }.

## Die Rechenaufgabe gegen automatische Programme

pow-title = Einen Moment bitte
pow-working = Ihr Browser löst gerade eine kleine Rechenaufgabe, die automatische Programme fernhält. Das dauert meist nur wenige Sekunden; danach bekommen Sie Ihren Platz in der Warteschlange. Bitte lassen Sie die Seite geöffnet.
pow-needs-script = Für diese Warteschlange muss JavaScript eingeschaltet sein: Solange der Andrang groß ist, prüft sie jeden neuen Besucher mit einer kleinen Rechenaufgabe im Browser. Bitte schalten Sie JavaScript ein und laden Sie die Seite neu.

## Ausgelastet und begrenzt

busy-title = Die Buchungsseite ist gerade ausgelastet
busy-body = Ihr Platz bleibt erhalten. Wir versuchen es in wenigen Sekunden automatisch erneut. Bitte schließen Sie die Seite nicht.
limited-title = Zu viele neue Wartenummern
limited-body = Von Ihrem Internetanschluss wurden in der letzten Minute sehr viele neue Wartenummern geholt. Bitte haben Sie einen Moment Geduld: Die Seite versucht es in { $seconds ->
    [one] { $seconds } Sekunde
   *[other] { $seconds } Sekunden
} von selbst noch einmal. Wer schon eine Wartenummer hat, behält seinen Platz.

## Was noch frei ist

sold-out-kept = Ihr Platz bleibt trotzdem erhalten: Werden Termine zurückgegeben oder neue freigegeben, geht es in der bisherigen Reihenfolge weiter, und diese Seite zeigt es Ihnen.
supply-left = { $count ->
    [one] Es ist noch { $count } Termin frei.
   *[other] Es sind noch { $count } Termine frei.
}
supply-about = { $count ->
    [one] Es ist noch etwa { $count } Termin frei.
   *[other] Es sind noch etwa { $count } Termine frei.
}
chance-likely = Es ist wahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind.
chance-uncertain = Ob bei Ihrer Ankunft noch Termine frei sind, lässt sich noch nicht sicher sagen.
chance-unlikely = Es ist unwahrscheinlich, dass bei Ihrer Ankunft noch Termine frei sind.
chance-unknown = Wie viele der Wartenden einen Termin buchen, weiß die Warteschlange noch nicht. Eine Einschätzung Ihrer Aussichten folgt in wenigen Minuten.
unlikely-advice = Sie können trotzdem weiter warten: Wird ein Termin zurückgegeben, rücken Sie nach. Ihr Platz bleibt erhalten.
next-release = Neue Termine werden voraussichtlich am { $when } freigegeben.
release-in = Freigabe in { $wait }.
release-due = Neue Termine werden jeden Moment erwartet.

## Wartezeiten in Worten

wait-under-minute = weniger als eine Minute
wait-about = etwa { $duration }
wait-up-to = bis zu { $duration }
wait-minutes-range = { $high ->
    [one] etwa { $low }–{ $high } Minute
   *[other] etwa { $low }–{ $high } Minuten
}
wait-between = zwischen { $low } und { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } Minute
   *[other] { $minutes } Minuten
}
duration-hours = { $hours ->
    [one] { $hours } Stunde
   *[other] { $hours } Stunden
}
duration-hours-minutes = { $hours } { $minutes }

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

## Der Platzcode und das Formular, das den Platz zurückholt

code-label = Ihr Platzcode
code-explain = Schreiben Sie ihn auf: Mit diesem Code erhalten Sie Ihren Platz auch in einem anderen Browser oder auf einem anderen Gerät zurück.
restore-title = Platz zurückholen
restore-intro = Geben Sie den Platzcode ein, den Ihnen die Warteseite gezeigt hat. Sie erhalten denselben Platz in der Warteschlange zurück, nicht einen besseren. Groß- und Kleinschreibung, Leerzeichen und Bindestriche spielen keine Rolle.
restore-field = Platzcode
restore-submit = Platz zurückholen
restore-malformed = Ein Platzcode hat 16 Zeichen aus Ziffern und Buchstaben. Bitte prüfen Sie Ihre Eingabe.
restore-unknown = Diesen Platzcode kennen wir nicht. Bitte prüfen Sie jedes Zeichen.
restore-lapsed = Dieser Platz war an der Reihe und ist inzwischen verfallen. Sie können sich neu anstellen.
restore-limited = Von Ihrem Anschluss kamen gerade zu viele Versuche. Bitte warten Sie eine Minute.
restore-link = Der Link aus Ihrer E-Mail ist abgelaufen, und Ihr Platz ist inzwischen verfallen. Auch der Platzcode aus derselben E-Mail holt ihn nicht mehr zurück. Sie können sich neu anstellen.

## Die Einladung

invite-title = Einladungscode eingeben
invite-intro = Diese Warteschlange ist für eingeladene Personen. Geben Sie den Code aus Ihrem Einladungsschreiben ein. Haben Sie ihn schon einmal eingegeben, erhalten Sie denselben Platz zurück. Groß- und Kleinschreibung, Leerzeichen und Bindestriche spielen keine Rolle.
invite-field = Einladungscode
invite-submit = Weiter zur Warteschlange
invite-malformed = Ein Einladungscode hat 18 Zeichen aus Ziffern und Buchstaben. Bitte prüfen Sie Ihre Eingabe.
invite-unknown = Diesen Einladungscode kennen wir nicht. Bitte prüfen Sie jedes Zeichen.
invite-expired = Dieser Einladungscode ist abgelaufen.
invite-used = Mit diesem Einladungscode wurde schon ein Platz gezogen, und dieser Platz ist inzwischen verfallen.

## Das E-Mail-Feld und seine Antwort

notify-label = Per E-Mail Bescheid bekommen
notify-explain = Sie müssen nicht vor dem Bildschirm warten: Kurz bevor Sie an der Reihe sind, schicken wir Ihnen eine E-Mail. Über den Link darin kommen Sie auf Ihren Platz zurück.
notify-field = Ihre E-Mail-Adresse
notify-submit = Benachrichtigen
notify-privacy = Wir speichern Ihre Adresse nur, bis diese eine E-Mail verschickt ist, und löschen sie danach.
notify-thanks = Wir schreiben Ihnen
notify-thanks-text = Kurz bevor Sie an der Reihe sind, schicken wir eine E-Mail an { $address }. Sie können diese Seite jetzt schließen; Ihr Platz bleibt Ihnen.
notify-back = Zurück zur Warteseite
notify-invalid = Das sieht nicht wie eine E-Mail-Adresse aus. Bitte prüfen Sie Ihre Eingabe.
notify-already = Die E-Mail für diesen Platz haben wir schon verschickt. Wir schreiben nur einmal.
notify-limited = Gerade kamen zu viele Anmeldungen von Ihrem Anschluss oder für diese Adresse. Bitte versuchen Sie es in einer Stunde noch einmal, oder lassen Sie die Seite offen.
notify-no-place = Sie haben noch keinen Platz in der Warteschlange. Öffnen Sie zuerst die Warteseite.
notify-called = Sie sind schon an der Reihe. Öffnen Sie die Warteseite, dann kommen Sie hinein.
notify-unavailable = Gerade können wir keine Adresse annehmen. Bitte lassen Sie die Warteseite offen.

## Die E-Mail

letter-subject-soon = Sie sind bald an der Reihe: { $site }
letter-subject-now = Sie sind an der Reihe: { $site }
letter-soon = Sie warten in der Warteschlange von „{ $site }“ und sind bald an der Reihe.
letter-now = Sie warten in der Warteschlange von „{ $site }“ und sind jetzt an der Reihe.
letter-link = Öffnen Sie diesen Link, um auf Ihren Platz zurückzukehren. Sobald Sie an der Reihe sind, werden Sie eingelassen:
letter-until = Der Link hält Ihren Platz bis { $when }. Danach verfällt er.
letter-code = Ihr Platzcode: { $code }
letter-footer = Ihre E-Mail-Adresse haben wir mit dem Versand dieser Nachricht gelöscht. Diese E-Mail wurde automatisch verschickt; Antworten darauf liest niemand.
letter-subject-sold-out = Alle Termine sind vergeben: { $site }
letter-sold-out = Sie warten in der Warteschlange von „{ $site }“. Leider sind inzwischen alle Termine vergeben. Es lohnt sich im Moment nicht, weiter zu warten.
letter-subject-closed = Die Terminvergabe ist beendet: { $site }
letter-closed = Sie haben in der Warteschlange von „{ $site }“ gewartet. Die Terminvergabe ist beendet; es sind keine Termine mehr frei. Es lohnt sich nicht, weiter zu warten.
letter-kept = Werden Termine zurückgegeben, kommen Sie über diesen Link auf Ihren Platz zurück:
letter-message = Hinweis der Veranstalter: { $text }

## Die Fragen vor der Warteschlange

questions-title = Bevor Sie sich anstellen
questions-intro = Bitte beantworten Sie diese Fragen. So erfahren Sie gleich, ob sich das Warten für Sie lohnt, und nicht erst nach Stunden. Ihre Antworten werden nicht gespeichert; die Buchungsseite prüft später selbst.
answer-yes = Ja
answer-no = Nein
questions-submit = Weiter zur Warteschlange
questions-incomplete = Bitte beantworten Sie jede Frage mit Ja oder Nein.
questions-stale = Das Formular war abgelaufen. Bitte beantworten Sie die Fragen noch einmal.
refused-title = Hier können Sie leider keinen Termin buchen
refused-intro = Nach Ihren Antworten lohnt sich das Warten in dieser Warteschlange für Sie nicht:
refused-otherwise = Dann können Sie hier leider keinen Termin buchen. Das Warten in dieser Warteschlange würde sich für Sie nicht lohnen.
change-answers = Antworten ändern

## The way back, and the edges of the morning

have-place = Sie haben schon einen Platz in der Warteschlange – auf einem anderen Gerät, oder Sie haben Ihre E-Mail-Adresse hinterlassen? Mit Ihrem Platzcode bekommen Sie diesen Platz zurück. Er steht auf Ihrer Warteseite und in unserer E-Mail.
join-again = Neu anstellen
used-up-title = Dieser Platz wurde schon genutzt
used-up-body = Mit diesem Platz ging es schon so oft auf die Buchungsseite, wie ein Platz darf – in mehreren Browsern oder Apps. E-Mail-Programme öffnen Links oft in einem eigenen Browser; so zählt jedes Antippen des Links.
used-up-code = Ist die Buchungsseite noch in einem anderen Fenster, einer App oder auf einem anderen Gerät offen, machen Sie bitte dort weiter. Platzcode und Link aus der E-Mail führen zu genau diesem Platz und bringen Sie deshalb nicht noch einmal hinein.
notify-not-ascii = Adressen mit ä, ö, ü oder anderen Sonderzeichen vor dem @ können wir nicht nutzen: Viele Mailserver stellen sie nicht zu. Bitte geben Sie eine andere Adresse an. Sonderzeichen nach dem @ sind kein Problem.
notify-replaced-text = Wir haben die neue Adresse vorgemerkt: { $address }. Die frühere ist gelöscht. Kurz bevor Sie an der Reihe sind, schicken wir eine E-Mail dorthin.
notify-changes-used = Die Adresse für diesen Platz wurde so oft geändert, wie es geht. Die E-Mail geht an die zuletzt angegebene Adresse.
notify-code = Ihr Platzcode: { $code }. Schreiben Sie ihn auf: Damit bekommen Sie Ihren Platz auf jedem Gerät zurück, auch bevor unsere E-Mail kommt.
notify-noted = Die E-Mail geht an { $address }. Stimmt das nicht, geben Sie hier die richtige Adresse ein.
notify-change = Adresse ändern
