# wartesaal în limba română. Mesajele și variabilele lor sunt aceleași ca în
# locales/en/wartesaal.ftl.

language-name = Română
language-menu = Limba

## Pagina de așteptare

waiting-title = Sunteți la coadă
your-number = Locul dumneavoastră la coadă
ahead = { $count ->
    [0] Sunteți următorul.
    [one] Înaintea dumneavoastră mai este { $count } persoană.
    [few] Înaintea dumneavoastră mai sunt { $count } persoane.
   *[other] Înaintea dumneavoastră mai sunt { $count } de persoane.
}
estimate = Timp de așteptare estimat: { $wait }.
keep-open = Vă rugăm să lăsați această pagină deschisă. Nu trebuie să o reîncărcați: se actualizează singură.
your-turn = Când vine rândul dumneavoastră, veți fi dus automat pe site-ul de programări. Locul vă rămâne, chiar dacă reîncărcați pagina.
admitted = Este rândul dumneavoastră. Pagina se încarcă …
updated = Ultima actualizare la
refreshes = Nu trebuie să reîncărcați pagina: se actualizează singură.

## Cât timp nu intră nimeni

paused-title = Intrarea este oprită pentru moment
paused-body = Vă păstrați locul la coadă. Când intrarea se reia, înaintați automat. Vă rugăm să lăsați această pagină deschisă.
held-title = Intrarea s-a oprit pentru o clipă
held-body = Locul vă rămâne și nimeni nu trece înaintea dumneavoastră. Se continuă în curând; pagina verifică singură. Vă rugăm să o lăsați deschisă.
closed-title = Momentan nu mai sunt programări libere
closed-body = Toate programările disponibile au fost date. Nu are rost să așteptați acum. Dacă apar programări noi, veți afla pe această pagină.
sold-out-title = Toate programările sunt ocupate
sold-out-body = Momentan nu mai este nicio programare liberă. Nu are rost să așteptați acum.
last-title = Se rezervă acum ultimele programări
last-body = Persoanele aflate acum pe site-ul de programări rezervă ultimele locuri libere. Dacă rămâne unul, urmați dumneavoastră. Veți afla în câteva minute, pe această pagină. Locul dumneavoastră este păstrat.

## Înainte de deschidere

before-title = Programările nu au început încă
opens-on = Programările încep: { $when }.
prequeue-invite = De la { $from } vă puteți așeza aici la coadă. Toți cei care sunt aici până la { $open } primesc un loc în ordine aleatorie: nu contează dacă veniți devreme sau chiar înainte de { $open }.
prequeue-title = Sunteți în precoadă
prequeue-body = Programările încep la { $open }. Atunci toți cei care sunt deja aici primesc un loc în ordine aleatorie. Dacă veniți mai devreme nu aveți niciun avantaj. Vă rugăm să lăsați această pagină deschisă: la { $open } vă va arăta locul.
prequeue-size = { $count ->
    [one] Deja aici: { $count } persoană
    [few] Deja aici: { $count } persoane
   *[other] Deja aici: { $count } de persoane
}
opens-in = Până la deschidere: { $wait }.

## Ghicitoarea împotriva programelor automate

pow-title = Un moment, vă rog
pow-working = Browserul dumneavoastră rezolvă acum o mică problemă care ține departe programele automate. De obicei durează doar câteva secunde; apoi primiți locul la coadă. Vă rugăm să lăsați această pagină deschisă.
pow-needs-script = Această coadă are nevoie de JavaScript: cât timp aglomerația e mare, verifică fiecare vizitator nou cu o mică problemă în browser. Vă rugăm să activați JavaScript și să reîncărcați pagina.

## Aglomerație și limită

busy-title = Site-ul de programări este foarte aglomerat acum
busy-body = Locul vă rămâne. Încercăm din nou automat în câteva secunde. Vă rugăm să nu închideți această pagină.
limited-title = Prea multe numere noi
limited-body = În ultimul minut s-au luat foarte multe numere noi de la conexiunea dumneavoastră la internet. Vă rugăm să aveți puțină răbdare: pagina încearcă din nou singură peste { $seconds ->
    [one] { $seconds } secundă
    [few] { $seconds } secunde
   *[other] { $seconds } de secunde
}. Cine are deja un număr își păstrează locul.

## Ce a mai rămas

sold-out-kept = Vă păstrați totuși locul: dacă se eliberează programări sau apar altele noi, coada continuă în aceeași ordine, iar această pagină vă va arăta.
supply-left = { $count ->
    [one] Mai este liberă { $count } programare.
    [few] Mai sunt libere { $count } programări.
   *[other] Mai sunt libere { $count } de programări.
}
supply-about = { $count ->
    [one] Mai este liberă cam { $count } programare.
    [few] Mai sunt libere cam { $count } programări.
   *[other] Mai sunt libere cam { $count } de programări.
}
chance-likely = Este probabil să mai fie programări libere când vine rândul dumneavoastră.
chance-uncertain = Încă nu se poate spune sigur dacă vor mai fi programări libere când vine rândul dumneavoastră.
chance-unlikely = Este puțin probabil să mai fie programări libere când vine rândul dumneavoastră.
chance-unknown = Coada nu știe încă câți dintre cei care așteaptă își vor face o programare. O estimare a șanselor dumneavoastră apare în câteva minute.
unlikely-advice = Puteți totuși să așteptați în continuare: dacă se eliberează o programare, înaintați. Locul vă rămâne.
next-release = Programări noi sunt așteptate: { $when }.
release-in = Până la programările noi: { $wait }.
release-due = Programări noi sunt așteptate din clipă în clipă.

## Așteptarea în cuvinte

wait-under-minute = mai puțin de un minut
wait-about = cam { $duration }
wait-up-to = cel mult { $duration }
wait-minutes-range = { $high ->
    [one] cam { $low }–{ $high } minut
    [few] cam { $low }–{ $high } minute
   *[other] cam { $low }–{ $high } de minute
}
wait-between = între { $low } și { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minut
    [few] { $minutes } minute
   *[other] { $minutes } de minute
}
duration-hours = { $hours ->
    [one] { $hours } oră
    [few] { $hours } ore
   *[other] { $hours } de ore
}
duration-hours-minutes = { $hours } și { $minutes }

## Zile și ore

time-of-day = { $time }
weekday = { $day ->
    [1] luni
    [2] marți
    [3] miercuri
    [4] joi
    [5] vineri
    [6] sâmbătă
   *[7] duminică
}
month = { $month ->
    [1] ianuarie
    [2] februarie
    [3] martie
    [4] aprilie
    [5] mai
    [6] iunie
    [7] iulie
    [8] august
    [9] septembrie
    [10] octombrie
    [11] noiembrie
   *[12] decembrie
}
day-and-time = { $weekday }, { $day } { $month } { $year }, ora { $time }

## Codul locului

code-label = Codul locului dumneavoastră
code-explain = Notați-l: cu acest cod vă recuperați locul și într-un alt browser sau pe un alt dispozitiv.
restore-title = Recuperați-vă locul
restore-intro = Introduceți codul locului pe care vi l-a arătat pagina de așteptare. Primiți înapoi același loc la coadă, nu unul mai bun. Literele mari sau mici, spațiile și cratimele nu contează.
restore-field = Codul locului
restore-submit = Recuperează-mi locul
restore-malformed = Un cod de loc are 16 caractere, cifre și litere. Vă rugăm să verificați ce ați introdus.
restore-unknown = Nu cunoaștem acest cod de loc. Vă rugăm să verificați fiecare caracter.
restore-lapsed = Acestui loc i-a venit rândul și între timp a expirat. Vă puteți așeza din nou la coadă.
restore-limited = De la conexiunea dumneavoastră au venit prea multe încercări chiar acum. Vă rugăm să așteptați un minut.
restore-link = Linkul din e-mailul dumneavoastră a expirat, iar locul s-a pierdut între timp. Nici codul locului din același e-mail nu îl mai poate aduce înapoi. Puteți intra din nou la coadă.

## Invitația

invite-title = Introduceți codul de invitație
invite-intro = Această coadă este pentru persoanele invitate. Introduceți codul din scrisoarea de invitație. Dacă l-ați introdus deja, primiți înapoi același loc. Literele mari sau mici, spațiile și cratimele nu contează.
invite-field = Codul de invitație
invite-submit = Continuați spre coadă
invite-malformed = Un cod de invitație are 18 caractere, cifre și litere. Vă rugăm să verificați ce ați introdus.
invite-unknown = Nu cunoaștem acest cod de invitație. Vă rugăm să verificați fiecare caracter.
invite-expired = Acest cod de invitație a expirat.
invite-used = Cu acest cod de invitație s-a luat deja un loc, iar acel loc a expirat între timp.

## Câmpul de e-mail

notify-label = Primiți un e-mail când vă vine rândul
notify-explain = Nu trebuie să așteptați în fața ecranului: cu puțin înainte să vă vină rândul vă trimitem un e-mail. Linkul din el vă aduce înapoi la locul dumneavoastră.
notify-field = Adresa dumneavoastră de e-mail
notify-submit = Anunțați-mă
notify-privacy = Păstrăm adresa dumneavoastră doar până trimitem acest singur e-mail, apoi o ștergem.
notify-thanks = Vă vom scrie
notify-thanks-text = Cu puțin înainte să vă vină rândul trimitem un e-mail la { $address }. Puteți închide acum această pagină; locul rămâne al dumneavoastră.
notify-back = Înapoi la pagina de așteptare
notify-invalid = Aceasta nu pare o adresă de e-mail. Vă rugăm să verificați ce ați introdus.
notify-already = Am trimis deja e-mailul pentru acest loc. Scriem o singură dată.
notify-limited = Chiar acum au venit prea multe înscrieri de la conexiunea dumneavoastră sau pentru această adresă. Vă rugăm să încercați din nou peste o oră sau să lăsați pagina deschisă.
notify-no-place = Încă nu aveți un loc la coadă. Deschideți mai întâi pagina de așteptare.
notify-called = V-a venit deja rândul. Deschideți pagina de așteptare și veți fi lăsat să intrați.
notify-unavailable = Momentan nu putem primi adrese. Vă rugăm să lăsați pagina de așteptare deschisă.

## E-mailul

letter-subject-soon = În curând vă vine rândul: { $site }
letter-subject-now = V-a venit rândul: { $site }
letter-soon = Așteptați la coada „{ $site }” și în curând vă vine rândul.
letter-now = Așteptați la coada „{ $site }” și acum v-a venit rândul.
letter-link = Deschideți acest link ca să vă întoarceți la locul dumneavoastră. Imediat ce vă vine rândul, veți fi lăsat să intrați:
letter-until = Linkul vă păstrează locul până la: { $when }. După aceea expiră.
letter-code = Codul locului dumneavoastră: { $code }
letter-footer = Am șters adresa dumneavoastră de e-mail odată cu trimiterea acestui mesaj. Mesajul a fost trimis automat; nimeni nu citește răspunsurile.
letter-subject-sold-out = Toate programările sunt ocupate: { $site }
letter-sold-out = Așteptați la coada „{ $site }”. Din păcate, între timp toate programările au fost ocupate. Momentan nu are rost să mai așteptați.
letter-subject-closed = Programările s-au încheiat: { $site }
letter-closed = Ați așteptat la coada „{ $site }”. Programările s-au încheiat și nu mai sunt locuri libere. Nu are rost să mai așteptați.
letter-kept = Dacă se eliberează programări, acest link vă duce înapoi la locul dumneavoastră:
letter-message = Un mesaj de la organizatori: { $text }

## Întrebările dinaintea cozii

questions-title = Înainte să vă așezați la coadă
questions-intro = Vă rugăm să răspundeți la aceste întrebări. Așa aflați imediat, nu după ore, dacă merită să așteptați. Răspunsurile nu sunt păstrate; site-ul de programări verifică singur mai târziu.
answer-yes = Da
answer-no = Nu
questions-submit = Continuați spre coadă
questions-incomplete = Vă rugăm să răspundeți la fiecare întrebare cu da sau nu.
questions-stale = Formularul a expirat. Vă rugăm să răspundeți din nou la întrebări.
refused-title = Aici nu vă puteți face o programare
refused-intro = După răspunsurile dumneavoastră, așteptarea la această coadă nu vă ajută:
refused-otherwise = În acest caz nu vă puteți face aici o programare, iar așteptarea la această coadă nu vă ajută.
change-answers = Schimbați răspunsurile

## The way back, and the edges of the morning

have-place = Aveți deja un loc la coadă – pe alt dispozitiv, sau v-ați lăsat adresa de e-mail? Codul locului vă redă acel loc. Îl găsiți pe pagina de așteptare și în e-mailul nostru.
join-again = Intrați din nou la coadă
used-up-title = Acest loc a fost deja folosit
used-up-body = Cu acest loc s-a intrat deja pe site-ul de programări de câte ori are voie un loc – în mai multe browsere sau aplicații. Programele de e-mail deschid adesea linkurile într-un browser propriu, așa că fiecare atingere a linkului contează.
used-up-code = Dacă site-ul de programări este încă deschis în altă fereastră, aplicație sau pe alt dispozitiv, continuați acolo. Codul locului și linkul din e-mail duc la același loc, deci nu vă mai pot lăsa să intrați încă o dată.
notify-not-ascii = Nu putem folosi adrese cu ă, ș, ț, ä, ö, ü sau alte litere speciale înainte de @: multe servere de e-mail nu le livrează. Vă rugăm să dați altă adresă. Literele speciale după @ nu sunt o problemă.
notify-replaced-text = Am notat noua adresă: { $address }. Cea de dinainte a fost ștearsă. Cu puțin înainte să vă vină rândul trimitem acolo un e-mail.
notify-changes-used = Adresa pentru acest loc a fost schimbată de câte ori se poate. E-mailul merge la ultima adresă dată.
notify-code = Codul locului dumneavoastră: { $code }. Notați-l: cu el vă primiți locul înapoi pe orice dispozitiv, chiar înainte să vină e-mailul nostru.
notify-noted = E-mailul merge la { $address }. Dacă e greșit, introduceți aici adresa corectă.
notify-change = Schimbați adresa
