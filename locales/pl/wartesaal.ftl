# wartesaal po polsku. Komunikaty i ich zmienne są takie same jak w locales/en/wartesaal.ftl.

language-name = Polski
language-menu = Język

## Strona oczekiwania

waiting-title = Jesteś w kolejce
your-number = Twoje miejsce w kolejce
ahead = { $count ->
    [0] Jesteś następny w kolejce.
    [one] Przed Tobą jest jeszcze { $count } osoba.
    [few] Przed Tobą są jeszcze { $count } osoby.
    [many] Przed Tobą jest jeszcze { $count } osób.
   *[other] Przed Tobą jest jeszcze { $count } osoby.
}
estimate = Szacowany czas oczekiwania: { $wait }.
keep-open = Nie zamykaj tej strony. Nie musisz jej odświeżać: aktualizuje się sama.
your-turn = Gdy nadejdzie Twoja kolej, automatycznie przejdziesz na stronę rezerwacji. Zachowasz swoje miejsce, nawet jeśli odświeżysz stronę.
admitted = Twoja kolej. Strona się wczytuje …
updated = Ostatnia aktualizacja:
refreshes = Nie musisz odświeżać strony: aktualizuje się sama.

## Gdy nikt nie wchodzi

paused-title = Wejście jest chwilowo wstrzymane
paused-body = Zachowujesz swoje miejsce w kolejce. Gdy wejście zostanie wznowione, przesuniesz się automatycznie. Nie zamykaj tej strony.
held-title = Wejście na chwilę stanęło
held-body = Twoje miejsce jest zachowane i nikt Cię nie wyprzedzi. Zaraz wszystko ruszy; ta strona sama to sprawdza. Nie zamykaj jej.
closed-title = Obecnie nie ma wolnych terminów
closed-body = Wszystkie dostępne terminy zostały rozdane. Czekanie nie ma teraz sensu. Jeśli pojawią się nowe terminy, zobaczysz to na tej stronie.
sold-out-title = Wszystkie terminy są zajęte
sold-out-body = Obecnie nie ma żadnego wolnego terminu. Czekanie nie ma teraz sensu.
last-title = Trwa rezerwacja ostatnich terminów
last-body = Osoby, które są teraz na stronie rezerwacji, rezerwują ostatnie terminy. Jeśli któryś zostanie, Twoja kolej jest następna. Dowiesz się tego w ciągu kilku minut na tej stronie. Twoje miejsce jest zachowane.

## Przed otwarciem

before-title = Rezerwacja jeszcze się nie rozpoczęła
opens-on = Początek rezerwacji: { $when }.
prequeue-invite = Od { $from } możesz ustawić się tu w kolejce. Każdy, kto będzie tu do { $open }, dostanie miejsce w losowej kolejności: nie ma znaczenia, czy przyjdziesz wcześnie, czy tuż przed { $open }.
prequeue-title = Jesteś w kolejce wstępnej
prequeue-body = Rezerwacja rusza o { $open }. Wtedy każdy, kto już tu jest, dostanie miejsce w losowej kolejności. Wcześniejsze przyjście nie daje przewagi. Nie zamykaj tej strony: o { $open } pokaże Ci Twoje miejsce.
prequeue-size = { $count ->
    [one] Już tutaj: { $count } osoba
    [few] Już tutaj: { $count } osoby
    [many] Już tutaj: { $count } osób
   *[other] Już tutaj: { $count } osoby
}
opens-in = Do otwarcia: { $wait }.

## Zagadka przeciw automatycznym programom

pow-title = Chwileczkę
pow-working = Twoja przeglądarka rozwiązuje małą zagadkę, która zatrzymuje automatyczne programy. Zwykle trwa to tylko kilka sekund; potem dostaniesz miejsce w kolejce. Nie zamykaj tej strony.
pow-needs-script = Ta kolejka wymaga JavaScriptu: przy dużym ruchu sprawdza każdego nowego gościa małą zagadką w przeglądarce. Włącz JavaScript i odśwież stronę.

## Przeciążenie i limit

busy-title = Strona rezerwacji jest teraz przeciążona
busy-body = Twoje miejsce jest zachowane. Za kilka sekund spróbujemy ponownie automatycznie. Nie zamykaj tej strony.
limited-title = Za dużo nowych numerków
limited-body = W ciągu ostatniej minuty z Twojego łącza pobrano bardzo dużo nowych numerków. Prosimy o chwilę cierpliwości: strona sama spróbuje ponownie za { $seconds ->
    [one] { $seconds } sekundę
    [few] { $seconds } sekundy
    [many] { $seconds } sekund
   *[other] { $seconds } sekundy
}. Kto ma już numerek, zachowuje swoje miejsce.

## Co jeszcze zostało

sold-out-kept = Mimo to zachowujesz swoje miejsce: jeśli ktoś zwolni termin albo pojawią się nowe, kolejka ruszy w dotychczasowej kolejności, a ta strona Ci to pokaże.
supply-left = { $count ->
    [one] Wolny jest jeszcze { $count } termin.
    [few] Wolne są jeszcze { $count } terminy.
    [many] Wolnych jest jeszcze { $count } terminów.
   *[other] Wolnych jest jeszcze { $count } terminu.
}
supply-about = { $count ->
    [one] Wolny jest jeszcze około { $count } termin.
    [few] Wolne są jeszcze około { $count } terminy.
    [many] Wolnych jest jeszcze około { $count } terminów.
   *[other] Wolnych jest jeszcze około { $count } terminu.
}
chance-likely = Prawdopodobnie, gdy nadejdzie Twoja kolej, będą jeszcze wolne terminy.
chance-uncertain = Nie da się jeszcze powiedzieć na pewno, czy gdy nadejdzie Twoja kolej, będą jeszcze wolne terminy.
chance-unlikely = Mało prawdopodobne, że gdy nadejdzie Twoja kolej, będą jeszcze wolne terminy.
chance-unknown = Kolejka nie wie jeszcze, ilu czekających dokona rezerwacji. Ocena Twoich szans pojawi się za kilka minut.
unlikely-advice = Mimo to możesz dalej czekać: jeśli ktoś zwolni termin, przesuniesz się do przodu. Zachowujesz swoje miejsce.
next-release = Nowe terminy są spodziewane: { $when }.
release-in = Do nowych terminów: { $wait }.
release-due = Nowe terminy są spodziewane lada chwila.

## Czas oczekiwania słowami

wait-under-minute = mniej niż minuta
wait-about = około { $duration }
wait-up-to = najwyżej { $duration }
wait-minutes-range = { $high ->
    [one] około { $low }–{ $high } minuta
    [few] około { $low }–{ $high } minuty
    [many] około { $low }–{ $high } minut
   *[other] około { $low }–{ $high } minuty
}
wait-between = { $low } – { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minuta
    [few] { $minutes } minuty
    [many] { $minutes } minut
   *[other] { $minutes } minuty
}
duration-hours = { $hours ->
    [one] { $hours } godzina
    [few] { $hours } godziny
    [many] { $hours } godzin
   *[other] { $hours } godziny
}
duration-hours-minutes = { $hours } { $minutes }

## Dni i godziny

time-of-day = { $time }
weekday = { $day ->
    [1] poniedziałek
    [2] wtorek
    [3] środa
    [4] czwartek
    [5] piątek
    [6] sobota
   *[7] niedziela
}
month = { $month ->
    [1] stycznia
    [2] lutego
    [3] marca
    [4] kwietnia
    [5] maja
    [6] czerwca
    [7] lipca
    [8] sierpnia
    [9] września
    [10] października
    [11] listopada
   *[12] grudnia
}
day-and-time = { $weekday }, { $day } { $month } { $year }, godz. { $time }

## Kod miejsca

code-label = Twój kod miejsca
code-explain = Zapisz go: dzięki temu kodowi odzyskasz swoje miejsce także w innej przeglądarce lub na innym urządzeniu.
restore-title = Odzyskaj swoje miejsce
restore-intro = Wpisz kod miejsca, który pokazała Ci strona oczekiwania. Odzyskasz to samo miejsce w kolejce, nie lepsze. Wielkość liter, spacje i myślniki nie mają znaczenia.
restore-field = Kod miejsca
restore-submit = Odzyskaj moje miejsce
restore-malformed = Kod miejsca ma 16 znaków: cyfry i litery. Sprawdź, co wpisano.
restore-unknown = Nie znamy tego kodu miejsca. Sprawdź każdy znak.
restore-lapsed = Kolej tego miejsca już minęła i miejsce wygasło. Możesz ponownie ustawić się w kolejce.
restore-limited = Z Twojego łącza przyszło przed chwilą za dużo prób. Odczekaj minutę.
restore-link = Link z twojego e-maila wygasł, a twoje miejsce w międzyczasie przepadło. Kod miejsca z tego samego e-maila też go nie przywróci. Możesz ustawić się w kolejce ponownie.

## Zaproszenie

invite-title = Wpisz kod zaproszenia
invite-intro = Ta kolejka jest dla osób zaproszonych. Wpisz kod z listu z zaproszeniem. Jeśli już go wpisywano, dostaniesz to samo miejsce. Wielkość liter, spacje i myślniki nie mają znaczenia.
invite-field = Kod zaproszenia
invite-submit = Przejdź do kolejki
invite-malformed = Kod zaproszenia ma 18 znaków: cyfry i litery. Sprawdź, co wpisano.
invite-unknown = Nie znamy tego kodu zaproszenia. Sprawdź każdy znak.
invite-expired = Ten kod zaproszenia wygasł.
invite-used = Ten kod zaproszenia dał już miejsce, a to miejsce wygasło.

## Pole e-mail

notify-label = Dostań e-mail, gdy nadejdzie Twoja kolej
notify-explain = Nie musisz czekać przed ekranem: tuż przed Twoją kolejką wyślemy Ci jeden e-mail. Link w nim zaprowadzi Cię z powrotem na Twoje miejsce.
notify-field = Twój adres e-mail
notify-submit = Powiadom mnie
notify-privacy = Przechowujemy Twój adres tylko do wysłania tego jednego e-maila, a potem go usuwamy.
notify-thanks = Napiszemy do Ciebie
notify-thanks-text = Tuż przed Twoją kolejką wyślemy e-mail na adres { $address }. Możesz teraz zamknąć tę stronę; Twoje miejsce pozostaje Twoje.
notify-back = Wróć do strony oczekiwania
notify-invalid = To nie wygląda na adres e-mail. Sprawdź, co wpisano.
notify-already = E-mail dla tego miejsca już wysłaliśmy. Piszemy tylko raz.
notify-limited = Przed chwilą przyszło za dużo zgłoszeń z Twojego łącza lub dla tego adresu. Spróbuj ponownie za godzinę albo nie zamykaj tej strony.
notify-no-place = Nie masz jeszcze miejsca w kolejce. Najpierw otwórz stronę oczekiwania.
notify-called = Twoja kolej już nadeszła. Otwórz stronę oczekiwania, a zostaniesz wpuszczony.
notify-unavailable = Nie możemy teraz przyjąć adresu. Nie zamykaj strony oczekiwania.

## E-mail

letter-subject-soon = Twoja kolej już niedługo: { $site }
letter-subject-now = Twoja kolej: { $site }
letter-soon = Czekasz w kolejce „{ $site }” i Twoja kolej już niedługo.
letter-now = Czekasz w kolejce „{ $site }” i właśnie nadeszła Twoja kolej.
letter-link = Otwórz ten link, aby wrócić na swoje miejsce. Gdy tylko nadejdzie Twoja kolej, zostaniesz wpuszczony:
letter-until = Link trzyma Twoje miejsce do: { $when }. Potem wygasa.
letter-code = Twój kod miejsca: { $code }
letter-footer = Usunęliśmy Twój adres e-mail, wysyłając tę wiadomość. Została wysłana automatycznie; nikt nie czyta odpowiedzi na nią.
letter-subject-sold-out = Wszystkie terminy są zajęte: { $site }
letter-sold-out = Czekasz w kolejce „{ $site }”. Niestety w międzyczasie wszystkie terminy zostały zajęte. Dalsze czekanie nie ma teraz sensu.
letter-subject-closed = Zapisy zakończone: { $site }
letter-closed = Czekałeś w kolejce „{ $site }”. Zapisy się zakończyły i nie ma już wolnych terminów. Dalsze czekanie nie ma sensu.
letter-kept = Jeśli ktoś zwolni termin, ten link zaprowadzi Cię z powrotem na Twoje miejsce:
letter-message = Wiadomość od organizatorów: { $text }

## Pytania przed kolejką

questions-title = Zanim ustawisz się w kolejce
questions-intro = Odpowiedz na te pytania. Dzięki temu od razu, a nie po kilku godzinach, dowiesz się, czy warto czekać. Twoje odpowiedzi nie są zapisywane; strona rezerwacji sprawdzi wszystko później sama.
answer-yes = Tak
answer-no = Nie
questions-submit = Przejdź do kolejki
questions-incomplete = Odpowiedz na każde pytanie „tak” lub „nie”.
questions-stale = Formularz wygasł. Odpowiedz na pytania jeszcze raz.
refused-title = Tutaj nie zarezerwujesz terminu
refused-intro = Z Twoich odpowiedzi wynika, że czekanie w tej kolejce Ci nie pomoże:
refused-otherwise = W takim razie nie zarezerwujesz tu terminu, a czekanie w tej kolejce Ci nie pomoże.
change-answers = Zmień odpowiedzi

## The way back, and the edges of the morning

have-place = Masz już miejsce w kolejce – na innym urządzeniu, albo zostawiłeś(-aś) adres e-mail? Kod miejsca przywróci ci to miejsce. Znajdziesz go na stronie oczekiwania i w naszym e-mailu.
join-again = Ustaw się w kolejce ponownie
used-up-title = To miejsce zostało już wykorzystane
used-up-body = Z tym miejscem wchodzono już na stronę rezerwacji tyle razy, ile wolno jednemu miejscu – w kilku przeglądarkach lub aplikacjach. Programy pocztowe często otwierają linki we własnej przeglądarce, więc liczy się każde stuknięcie w link.
used-up-code = Jeśli strona rezerwacji jest jeszcze otwarta w innym oknie, aplikacji lub na innym urządzeniu, kontynuuj tam. Kod miejsca i link z e-maila prowadzą do tego samego miejsca, więc nie wpuszczą cię jeszcze raz.
notify-not-ascii = Adresów z ą, ę, ż, ä, ö, ü lub innymi znakami specjalnymi przed @ nie możemy użyć: wiele serwerów pocztowych ich nie doręcza. Podaj inny adres. Znaki specjalne po @ nie są problemem.
notify-replaced-text = Zapisaliśmy nowy adres: { $address }. Poprzedni został usunięty. Krótko przed twoją kolejką wyślemy tam jeden e-mail.
notify-changes-used = Adres dla tego miejsca zmieniano już tyle razy, ile można. E-mail trafi na ostatnio podany adres.
notify-code = Twój kod miejsca: { $code }. Zapisz go: dzięki niemu odzyskasz swoje miejsce na każdym urządzeniu, także zanim przyjdzie nasz e-mail.
notify-noted = E-mail zostanie wysłany na { $address }. Jeśli to błąd, wpisz tutaj właściwy adres.
notify-change = Zmień adres
