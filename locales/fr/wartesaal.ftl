# wartesaal en français. Les messages et leurs variables sont les mêmes que dans
# locales/en/wartesaal.ftl.

language-name = Français
language-menu = Langue

## La page d’attente

waiting-title = Vous êtes dans la file d’attente
your-number = Votre place dans la file
ahead = { $count ->
    [0] Vous êtes le prochain.
    [one] Il reste { $count } personne devant vous.
   *[other] Il reste { $count } personnes devant vous.
}
estimate = Attente estimée : { $wait }.
keep-open = Merci de garder cette page ouverte. Inutile de l’actualiser : elle se met à jour toute seule.
your-turn = Quand ce sera votre tour, vous serez conduit automatiquement vers le site de réservation. Vous gardez votre place même si vous rechargez la page.
admitted = C’est votre tour. Chargement de la page …
updated = Dernière mise à jour à
refreshes = Inutile d’actualiser la page : elle se met à jour toute seule.

## Quand personne n’entre

paused-title = L’accès est suspendu pour un moment
paused-body = Vous gardez votre place dans la file. Dès que l’accès reprend, vous avancez automatiquement. Merci de garder cette page ouverte.
held-title = L’accès s’est arrêté un instant
held-body = Votre place est gardée et personne ne vous dépasse. Cela reprend bientôt ; la page vérifie d’elle-même. Merci de la garder ouverte.
closed-title = Il n’y a plus de rendez-vous libres pour le moment
closed-body = Tous les rendez-vous disponibles ont été attribués. Inutile d’attendre pour l’instant. Si de nouveaux rendez-vous sont proposés, vous le verrez sur cette page.
sold-out-title = Tous les rendez-vous sont pris
sold-out-body = Aucun rendez-vous n’est libre pour le moment. Inutile d’attendre pour l’instant.
last-title = Les derniers rendez-vous sont en cours de réservation
last-body = Les personnes qui sont en ce moment sur le site de réservation prennent les derniers rendez-vous. S’il en reste un, c’est votre tour. Vous le saurez d’ici quelques minutes, sur cette page. Votre place est conservée.

## Avant l’ouverture

before-title = Les réservations ne sont pas encore ouvertes
opens-on = Ouverture des réservations : { $when }.
prequeue-invite = À partir de { $from }, vous pouvez rejoindre la file ici. Toutes les personnes présentes avant { $open } reçoivent une place dans un ordre tiré au sort : venir tôt ou juste avant { $open } ne change rien.
prequeue-title = Vous êtes dans la file préalable
prequeue-body = Les réservations ouvrent à { $open }. Toutes les personnes déjà présentes reçoivent alors une place dans un ordre tiré au sort. Venir plus tôt ne donne aucun avantage. Merci de garder cette page ouverte : à { $open }, elle vous montrera votre place.
prequeue-size = { $count ->
    [one] Déjà là : { $count } personne
   *[other] Déjà là : { $count } personnes
}
opens-in = Ouverture dans { $wait }.

## La petite énigme contre les programmes automatiques

pow-title = Un instant, s’il vous plaît
pow-working = Votre navigateur résout une petite énigme qui tient les programmes automatiques à l’écart. Cela ne prend en général que quelques secondes ; vous recevez ensuite votre place dans la file. Merci de garder cette page ouverte.
pow-needs-script = Cette file a besoin de JavaScript : tant que l’affluence est forte, elle vérifie chaque nouveau visiteur avec une petite énigme dans le navigateur. Merci d’activer JavaScript et de recharger la page.

## Surcharge et limite

busy-title = Le site de réservation est surchargé en ce moment
busy-body = Votre place est gardée. Nous réessayons automatiquement dans quelques secondes. Merci de ne pas fermer cette page.
limited-title = Trop de nouveaux numéros d’attente
limited-body = Un très grand nombre de nouveaux numéros d’attente a été pris depuis votre connexion internet au cours de la dernière minute. Merci de patienter un peu : la page réessaie d’elle-même dans { $seconds ->
    [one] { $seconds } seconde
   *[other] { $seconds } secondes
}. Qui a déjà un numéro garde sa place.

## Ce qui reste

sold-out-kept = Vous gardez votre place malgré tout : si des rendez-vous sont rendus ou si de nouveaux sont proposés, la file reprend dans le même ordre, et cette page vous le montrera.
supply-left = { $count ->
    [one] Il reste { $count } rendez-vous libre.
   *[other] Il reste { $count } rendez-vous libres.
}
supply-about = { $count ->
    [one] Il reste environ { $count } rendez-vous libre.
   *[other] Il reste environ { $count } rendez-vous libres.
}
chance-likely = Il est probable qu’il reste des rendez-vous libres quand ce sera votre tour.
chance-uncertain = On ne peut pas encore dire avec certitude s’il restera des rendez-vous libres quand ce sera votre tour.
chance-unlikely = Il est peu probable qu’il reste des rendez-vous libres quand ce sera votre tour.
chance-unknown = La file ne sait pas encore combien de personnes en attente vont réserver. Une estimation de vos chances suivra dans quelques minutes.
unlikely-advice = Vous pouvez quand même continuer d’attendre : si un rendez-vous est rendu, vous avancez. Vous gardez votre place.
next-release = De nouveaux rendez-vous sont attendus : { $when }.
release-in = Nouveaux rendez-vous dans { $wait }.
release-due = De nouveaux rendez-vous sont attendus d’un instant à l’autre.

## L’attente en mots

wait-under-minute = moins d’une minute
wait-about = environ { $duration }
wait-up-to = jusqu’à { $duration }
wait-minutes-range = environ { $low } à { $high } minutes
wait-between = entre { $low } et { $high }
duration-minutes = { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
duration-hours = { $hours ->
    [one] { $hours } heure
   *[other] { $hours } heures
}
duration-hours-minutes = { $hours } { $minutes }

## Jours et heures

time-of-day = { $time }
weekday = { $day ->
    [1] lundi
    [2] mardi
    [3] mercredi
    [4] jeudi
    [5] vendredi
    [6] samedi
   *[7] dimanche
}
month = { $month ->
    [1] janvier
    [2] février
    [3] mars
    [4] avril
    [5] mai
    [6] juin
    [7] juillet
    [8] août
    [9] septembre
    [10] octobre
    [11] novembre
   *[12] décembre
}
day-and-time = { $weekday } { $day } { $month } { $year } à { $time }

## Le code de place

code-label = Votre code de place
code-explain = Notez-le : avec ce code, vous retrouvez votre place dans un autre navigateur ou sur un autre appareil.
restore-title = Retrouver votre place
restore-intro = Saisissez le code de place que la page d’attente vous a montré. Vous retrouvez la même place dans la file, pas une meilleure. Majuscules, minuscules, espaces et tirets n’ont pas d’importance.
restore-field = Code de place
restore-submit = Retrouver ma place
restore-malformed = Un code de place compte 16 caractères, chiffres et lettres. Merci de vérifier votre saisie.
restore-unknown = Nous ne connaissons pas ce code de place. Merci de vérifier chaque caractère.
restore-lapsed = Le tour de cette place est passé et elle a expiré depuis. Vous pouvez rejoindre la file à nouveau.
restore-limited = Trop de tentatives viennent d’arriver depuis votre connexion. Merci d’attendre une minute.
restore-link = Le lien de votre e-mail a expiré, et votre place est perdue entre-temps. Le code de place du même e-mail ne peut pas non plus la rendre. Vous pouvez reprendre place dans la file.

## L’invitation

invite-title = Saisissez votre code d’invitation
invite-intro = Cette file est réservée aux personnes invitées. Saisissez le code de votre lettre d’invitation. Si vous l’avez déjà saisi, vous retrouvez la même place. Majuscules, minuscules, espaces et tirets n’ont pas d’importance.
invite-field = Code d’invitation
invite-submit = Continuer vers la file
invite-malformed = Un code d’invitation compte 18 caractères, chiffres et lettres. Merci de vérifier votre saisie.
invite-unknown = Nous ne connaissons pas ce code d’invitation. Merci de vérifier chaque caractère.
invite-expired = Ce code d’invitation a expiré.
invite-used = Ce code d’invitation a déjà servi à prendre une place, et cette place a expiré depuis.

## Le champ e-mail

notify-label = Recevoir un e-mail quand ce sera votre tour
notify-explain = Inutile d’attendre devant l’écran : peu avant votre tour, nous vous envoyons un e-mail. Son lien vous ramène à votre place.
notify-field = Votre adresse e-mail
notify-submit = Me prévenir
notify-privacy = Nous gardons votre adresse seulement jusqu’à l’envoi de cet unique e-mail, puis nous la supprimons.
notify-thanks = Nous vous écrirons
notify-thanks-text = Peu avant votre tour, nous envoyons un e-mail à { $address }. Vous pouvez fermer cette page maintenant ; votre place reste la vôtre.
notify-back = Retour à la page d’attente
notify-invalid = Cela ne ressemble pas à une adresse e-mail. Merci de vérifier votre saisie.
notify-already = Nous avons déjà envoyé l’e-mail pour cette place. Nous n’écrivons qu’une fois.
notify-limited = Trop d’inscriptions viennent d’arriver depuis votre connexion ou pour cette adresse. Merci de réessayer dans une heure, ou de garder cette page ouverte.
notify-no-place = Vous n’avez pas encore de place dans la file. Ouvrez d’abord la page d’attente.
notify-called = C’est déjà votre tour. Ouvrez la page d’attente et vous pourrez entrer.
notify-unavailable = Nous ne pouvons pas prendre d’adresse pour le moment. Merci de garder la page d’attente ouverte.

## L’e-mail

letter-subject-soon = Votre tour approche : { $site }
letter-subject-now = C’est votre tour : { $site }
letter-soon = Vous attendez dans la file de « { $site } », et votre tour approche.
letter-now = Vous attendez dans la file de « { $site } », et c’est maintenant votre tour.
letter-link = Ouvrez ce lien pour retrouver votre place. Dès que ce sera votre tour, vous pourrez entrer :
letter-until = Le lien garde votre place jusqu’au { $when }. Ensuite, il expire.
letter-code = Votre code de place : { $code }
letter-footer = Nous avons supprimé votre adresse e-mail en envoyant ce message. Il a été envoyé automatiquement ; personne ne lit les réponses.
letter-subject-sold-out = Tous les rendez-vous sont pris : { $site }
letter-sold-out = Vous attendez dans la file de « { $site } ». Malheureusement, tous les rendez-vous ont été pris entre-temps. Il est inutile d’attendre pour le moment.
letter-subject-closed = Les réservations sont terminées : { $site }
letter-closed = Vous attendiez dans la file de « { $site } ». Les réservations sont terminées et il ne reste aucun rendez-vous. Il est inutile d’attendre davantage.
letter-kept = Si des rendez-vous sont libérés, ce lien vous ramène à votre place :
letter-message = Un mot des organisateurs : { $text }

## Les questions avant la file

questions-title = Avant de rejoindre la file
questions-intro = Merci de répondre à ces questions. Vous saurez ainsi tout de suite, et non après des heures, si l’attente en vaut la peine pour vous. Vos réponses ne sont pas enregistrées ; le site de réservation vérifiera lui-même plus tard.
answer-yes = Oui
answer-no = Non
questions-submit = Continuer vers la file
questions-incomplete = Merci de répondre à chaque question par oui ou par non.
questions-stale = Le formulaire avait expiré. Merci de répondre à nouveau aux questions.
refused-title = Vous ne pouvez pas réserver de rendez-vous ici
refused-intro = D’après vos réponses, attendre dans cette file ne vous aiderait pas :
refused-otherwise = Dans ce cas, vous ne pouvez pas réserver de rendez-vous ici, et attendre dans cette file ne vous aiderait pas.
change-answers = Modifier mes réponses

## The way back, and the edges of the morning

have-place = Vous avez déjà une place dans la file – sur un autre appareil, ou vous avez laissé votre adresse e-mail ? Votre code de place vous rend cette place. Il figure sur votre page d’attente et dans notre e-mail.
join-again = Reprendre place dans la file
used-up-title = Cette place a déjà été utilisée
used-up-body = Avec cette place, on est déjà entré sur le site de réservation autant de fois qu’une place le permet, dans plusieurs navigateurs ou applications. Les messageries ouvrent souvent les liens dans leur propre navigateur : chaque appui sur le lien compte.
used-up-code = Si le site de réservation est encore ouvert dans une autre fenêtre, une application ou un autre appareil, continuez là-bas. Le code de place et le lien de l’e-mail mènent à cette même place : ils ne peuvent donc pas vous faire entrer une fois de plus.
notify-not-ascii = Nous ne pouvons pas utiliser d’adresses avec é, è, ä, ö, ü ou d’autres lettres spéciales avant le @ : beaucoup de serveurs de messagerie ne les distribuent pas. Veuillez indiquer une autre adresse. Les lettres spéciales après le @ ne posent pas de problème.
notify-replaced-text = Nous avons noté la nouvelle adresse : { $address }. L’ancienne est supprimée. Peu avant votre tour, nous y envoyons un e-mail.
notify-changes-used = L’adresse de cette place a été changée autant de fois que possible. L’e-mail part à la dernière adresse indiquée.
notify-code = Votre code de place : { $code }. Notez-le : il vous rend votre place sur n’importe quel appareil, même avant l’arrivée de notre e-mail.
notify-noted = L’e-mail partira à { $address }. Si c’est faux, saisissez ici la bonne adresse.
notify-change = Changer l’adresse
