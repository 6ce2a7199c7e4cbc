# Использование портала по госорганам (I617 §22)
usage-title = Использование портала
usage-days = Использование по дням
usage-weeks = Использование по неделям
usage-day = День
usage-week = Неделя с
usage-total = Итого
usage-active-users = Активные пользователи
usage-sign-ins = Входы
usage-documents = Размещено документов
usage-actions = Действия в процессах
usage-unknown-agency = Госорган с таким кодом не найден. Выберите госорган из списка.
usage-period-order = Начало периода позже его конца. Укажите начало не позже конца.
usage-period-too-long = Период длиннее 366 дней. Укажите период короче.
